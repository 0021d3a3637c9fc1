"""Word and byte counts of a plain-text document, as lm-eval's wikitext task counts them
(lm_eval/tasks/wikitext/preprocess_wikitext.py, process_results): words = len(re.split(r"\\s+", text)),
bytes = len(text.encode("utf-8"))."""
import re


def process_results(doc, results):
    (loglikelihood,) = results
    words = len(re.split(r"\s+", doc["text"]))
    nbytes = len(doc["text"].encode("utf-8"))
    return {
        "word_perplexity": (loglikelihood, words),
        "byte_perplexity": (loglikelihood, nbytes),
        "bits_per_byte": (loglikelihood, nbytes),
    }
