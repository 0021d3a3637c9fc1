#!/usr/bin/env python3
"""Expected outputs of lm-eval's own task preprocessing functions (wikitext_detokenizer and process_results from
lm_eval/tasks/wikitext/preprocess_wikitext.py, preprocess from lm_eval/tasks/hellaswag/utils.py, at
EleutherAI/lm-evaluation-harness 4e7e0d47) on hand-written documents. Usage, with the two files extracted
from that commit into DIR (hellaswag's without its `import datasets` line and type hints):
    python3 preprocess_fixtures.py DIR > src/test/resources/eval/fixtures/preprocess.json
Made with pyenv's Python 3.11.7."""
import json, sys
sys.path.insert(0, sys.argv[1])
import pw, hs  # preprocess_wikitext.py, hellaswag utils.py

page = (" = Robert Boulter = \n Robert Boulter is an English film , television and theatre actor . He had a guest "
        "@-@ starring role on the television series The Bill in 2000 ( the role of \" Bill \" ) . In 2004 Boulter "
        "landed a role as \" Craig \" in the episode \" Teddy 's Story \" ; he starred alongside Mark Strong . "
        "= = Career = = \n 1 @,@ 000 people [ citation ] 2 @.@ 5 km { x } 45 \u00b0 N ; the players ' s \n "
        "= = = = Deep = = = = \n ' quoted ' and N also \u00a0 nbsp\u2003em ? ! \n")
doc = {"activity_label": "Removing ice from car",
       "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.",
       "ctx_b": "then [title] the man continues REMOVING the snow on his car.",
       "endings": [" , the man adds wax to the windshield and cuts it.  ",
                   "[header] a person board a ski lift, while two men supporting the head of the person.",
                   ", the man puts on a christmas coat, knitted with netting.",
                   ", the man continues removing the snow on his car."],
       "label": "3"}
ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
print(json.dumps({
    "wikitext": {"page": page, "detokenized": pw.wikitext_detokenizer({"page": page}),
                 "process_results": pw.process_results({"page": page}, [-100.0])},
    "hellaswag": {"doc": doc, "query": hs.preprocess(doc["activity_label"] + ": " + ctx),
                  "choices": [hs.preprocess(e) for e in doc["endings"]]},
}, ensure_ascii=False, indent=1))
