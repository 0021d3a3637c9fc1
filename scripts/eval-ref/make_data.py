#!/usr/bin/python3
"""Writes the small task files of the lm-eval reference run, in each Hugging Face dataset's column layout.

All text is written for MergeLab (no dataset rows are copied). Edge cases on purpose: contexts with trailing
spaces (custom_qa), an empty context (a one-word LAMBADA text), Unicode (accents, CJK, emoji, NBSP), HellaSwag's
WikiHow brackets, numeric ARC labels, 3- and 5-choice questions, and documents far beyond the tiny model's
128-token limit (left truncation and several rolling windows).

    /usr/bin/python3 scripts/eval-ref/make_data.py OUT_DIR      (OUT_DIR: src/test/resources/eval-ref/data)
"""
import json
import os
import sys

OUT = sys.argv[1]


def write(rel, rows):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def arc(i, q, texts, key, labels=None):
    labels = labels or "ABCDE"[:len(texts)]
    return {"id": f"MergeLab_{i}", "question": q, "choices": {"text": texts, "label": list(labels)},
            "answerKey": key}


write("arc_easy/test.jsonl", [
    arc(1, "Which tool measures how hot a cup of tea is?", ["a ruler", "a thermometer", "a scale", "a compass"], "B"),
    arc(2, "A plant left in a dark cupboard for two weeks will most likely", ["grow taller and greener",
        "turn pale and weak", "produce more flowers", "stop needing water"], "B"),
    arc(3, "Water freezes at what temperature at sea level?", ["0 °C", "100 °C", "37 °C"], "A"),
    arc(4, "Which of these is a source of light?", ["the Moon", "a mirror", "the Sun", "a window"], "3",
        labels="1234"),
    arc(5, "Ice melting in a warm room is an example of", ["a chemical change", "a physical change",
        "a nuclear reaction", "condensation", "evaporation of ice"], "B"),
    arc(6, "Un élève observe un caillou qui coule dans l'eau. Why does the pebble sink?", ["It is denser than water.",
        "It is lighter than air.", "It is magnetic.", "It is warm."], "A"),
])
write("arc_challenge/test.jsonl", [
    arc(11, "A student pushes a cart with twice the force while its mass stays the same. Its acceleration",
        ["halves", "stays the same", "doubles", "becomes zero"], "C"),
    arc(12, "Which process moves most of the energy from the Sun's core to its surface region?",
        ["conduction through solid rock", "radiation and then convection", "evaporation", "magnetism alone"], "B"),
    arc(13, "Why do coastal towns have milder winters than inland towns at the same latitude?",
        ["Water heats and cools more slowly than land.", "The ocean produces its own heat.",
         "Salt raises the air temperature.", "Wind never reaches the coast."], "A"),
    arc(14, "Ein Schüler mischt Essig und Backpulver 🧪. The bubbles that form are mostly",
        ["oxygen", "carbon dioxide", "hydrogen", "nitrogen"], "2", labels="1234"),
    arc(15, "Which evidence best shows that two rock layers formed at the same time?",
        ["They have the same colour.", "They contain the same index fossils.", "They are equally thick."], "B"),
])


def hs(i, label, ctx_a, ctx_b, endings, gold):
    return {"ind": i, "activity_label": label, "ctx_a": ctx_a, "ctx_b": ctx_b, "ctx": (ctx_a + " " + ctx_b).strip(),
            "endings": endings, "source_id": f"mergelab~{i}", "split": "val", "split_type": "indomain",
            "label": str(gold)}


write("hellaswag/validation.jsonl", [
    hs(1, "Making tea", "A man fills a kettle with water and sets it on the stove.", "he",
       ["waits for the water to boil and pours it over the leaves.", "throws the kettle into the garden.",
        "starts painting the kitchen ceiling.", "reads the kettle a short story."], 0),
    hs(2, "Home and Garden", "[header] How to repot a small plant [title] Choose a slightly larger pot.",
       "[step] gently loosen the roots",
       ["[substeps] then set the plant in fresh soil and water it.", "and bake them at a high heat for an hour.",
        "[title] sell the pot online to a stranger.", "before you paint the roots bright blue."], 0),
    hs(3, "Riding a bike", "A girl climbs onto a red bicycle at the top of a hill.", "she",
       ["pushes off and rolls down the road, braking at the corner.", "folds the bicycle into a paper plane.",
        "eats the front wheel.", "turns into a cloud."], 0),
    hs(4, "Cooking", "Someone cracks two eggs into a bowl and whisks them.", "then they",
       ["pour the eggs into a hot pan with butter.", "mail the bowl to a friend overseas.",
        "plant the whisk in the yard.", "sing to the eggs until they hatch."], 0),
    hs(5, "Café visit", "Una mujer entra en el café and orders a drink at the counter.", "",
       ["The barista hands her a latte with a leaf drawn in the foam.", "The counter flies out of the window.",
        "She orders the building itself.", "The café becomes a submarine."], 0),
    hs(6, "Washing a car", "A boy sprays soap over a dusty car.", "he",
       ["scrubs it with a sponge and rinses it clean.", "drives it into the lake on purpose.",
        "asks the car for directions.", "covers it in more dust."], 2),
])

write("piqa/validation.jsonl", [
    {"goal": "How do you keep bread from going stale quickly?", "sol1": "Store it in a sealed bag or bread box.",
     "sol2": "Leave it open on a sunny windowsill.", "label": 0},
    {"goal": "To open a stuck jar lid,", "sol1": "freeze the jar overnight.",
     "sol2": "run the lid under hot water, then twist.", "label": 1},
    {"goal": "Clean a whiteboard marker stain", "sol1": "Draw over it with a dry-erase marker and wipe it off.",
     "sol2": "Paint the whole board with glue.", "label": 0},
    {"goal": "How can you cool a drink fast without a fridge?", "sol1": "Wrap it in a wet towel and put it in front of a fan.",
     "sol2": "Wrap it in a wool blanket.", "label": 0},
    {"goal": "Mark a page in a book 📖", "sol1": "Fold a receipt and slip it between the pages.",
     "sol2": "Tear the page out and throw it away.", "label": 0},
])

write("winogrande/validation.jsonl", [
    {"sentence": "The trophy did not fit in the suitcase because the _ was too large.", "option1": "trophy",
     "option2": "suitcase", "answer": "1"},
    {"sentence": "Maria lent Sofia her umbrella because _ was going out into the rain.", "option1": "Maria",
     "option2": "Sofia", "answer": "2"},
    {"sentence": "The soup was colder than the tea, so _ needed more time on the stove.", "option1": "the soup",
     "option2": "the tea", "answer": "1"},
    {"sentence": "_ laughed because the joke was funny.", "option1": "Ken", "option2": "The wall", "answer": "1"},
    {"sentence": "Jürgen beat Zoë at chess since _ had practised every evening for a year.", "option1": "Jürgen",
     "option2": "Zoë", "answer": "1"},
])

LONG = ("The old lighthouse keeper climbed the spiral stairs every night, counting each of the hundred and twelve "
        "steps, checking the lamp, wiping salt from the glass, and writing the weather in a worn leather book. "
        "Ships passed far out at sea and never knew his name, but they saw the light turning and kept away from the "
        "rocks. When the new automatic lamp arrived, he carried his book down the stairs for the last time and "
        "handed the key to the")
write("lambada_openai/test.jsonl", [
    {"text": "She opened the window to let in the cool morning air and listened to the birds"},
    {"text": "After the long hike they sat by the river, too tired to speak, and watched the sun go down behind the hills"},
    {"text": LONG + " harbour"},
    {"text": "Hello"},
    {"text": "The recipe called for flour, sugar, butter and two eggs, so he went to the shop to buy more butter"},
    {"text": "Mia spielte Klavier, and her brother played the violin beside her in the café"},
    # Repetitive texts the trained model learns to continue: greedy hits (is_greedy true, acc 1).
    {"text": "one two three one two three one two three one two three one two three one two three"},
    {"text": "la la la la la la la la la la la la la la la la la la la la"},
])

PAGE1 = (" = Glass bridge = \n \n The Glass bridge is a fictional footbridge over a narrow gorge . It was built in "
         "1998 from tempered glass panels held by steel cables , and it is 212 m long . \n \n = = History = = \n \n "
         "Engineers first tested the panels with sandbags weighing 2 @,@ 000 kg . Visitors were admitted in the "
         "spring , and the bridge 's opening drew a crowd of several thousand people . \n")
PAGE2 = (" = Small river = \n \n The Small river flows for 41 km through farmland and forest . Its name comes from "
         "an old word meaning \" slow water \" . \n \n = = Course = = \n \n The river rises in a marsh , passes "
         "three villages and joins the larger river near a mill that is now a museum . Otters and kingfishers live "
         "along its banks , and anglers catch trout in the upper reaches . \n")
PAGE3 = " = Tiny = \n \n Short page . \n"
PAGE4 = (" = Café Müller = \n \n Café Müller is an invented coffee house in a small town , known for its "
         "apple cake and its 1920s tiles . The owner 's grandmother opened it in 1931 ; it seats 40 @.@ 5 people "
         "on average ( a local joke ) . \n \n = = = Menu = = = \n \n Coffee , tea , cocoa , and on Sundays a "
         "plum tart . Prices are written on a board in € and in old marks . \n")
PAGE5 = (" = Night train = \n \n The night train leaves the coast at 22 : 40 and reaches the mountains before "
         "dawn . Passengers sleep in narrow bunks ; the conductor wakes them with tea at 6 o 'clock . \n")
write("wikitext/test.jsonl", [{"page": p} for p in (PAGE1, PAGE2, PAGE3, PAGE4, PAGE5)])

MMLU = {
    "anatomy": [
        ("Which bone protects the brain?", ["femur", "skull", "rib", "tibia"], 1),
        ("The heart has how many chambers?", ["two", "three", "four", "five"], 2),
        ("Which organ filters blood to make urine?\n", ["kidney", "lung", "spleen", "stomach"], 0),
    ],
    "world_religions": [
        ("Which festival of lights is celebrated in autumn by many Hindus?", ["Diwali", "Easter", "Hanukkah", "Eid"], 0),
        ("  A pilgrimage is best described as", ["a fast", "a journey to a sacred place", "a song", "a book"], 1),
        ("Which of these is a day of rest in many traditions?", ["a sabbath", "a solstice", "a census", "a harvest"], 0),
    ],
    "marketing": [
        ("A brand is best described as", ["a price", "a promise and identity for a product", "a warehouse",
                                          "a tax"], 1),
        ("Dividing a market into groups of similar buyers is called", ["segmentation", "taxation", "inflation",
                                                                       "insulation"], 0),
        ("Which is one of the four Ps of marketing?", ["People", "Place", "Plan", "Plastic"], 1),
    ],
    "sociology": [
        ("The process of learning a society's norms is called", ["socialisation", "urbanisation", "erosion",
                                                                 "fermentation"], 0),
        ("A group that shares a culture and a territory is a", ["society", "molecule", "planet", "theorem"], 0),
        ("Which describes movement between social classes?", ["social mobility", "gravity", "photosynthesis",
                                                              "tectonics"], 0),
    ],
}
MMLU_DEV = {
    "anatomy": [("The largest organ of the human body is the", ["skin", "liver", "brain", "heart"], 0),
                ("Red blood cells mainly carry", ["oxygen", "sound", "light", "salt"], 0)],
    "world_religions": [("A place of worship for many Christians is a", ["church", "stadium", "bank", "school"], 0),
                        ("Meditation is a practice central to", ["Buddhism", "accounting", "surfing", "chess"], 0)],
    "marketing": [("An advertisement is used to", ["promote a product", "repair a car", "grow rice", "cut hair"], 0),
                  ("The price of a product is one of the", ["four Ps", "seven seas", "three states", "five senses"], 0)],
    "sociology": [("The study of society is called", ["sociology", "geology", "botany", "optics"], 0),
                  ("A norm is", ["a shared rule of behaviour", "a rock", "a star", "a number"], 0)],
}
for subject, rows in MMLU.items():
    write(f"mmlu/{subject}/test.jsonl", [{"question": q, "subject": subject, "choices": c, "answer": a}
                                         for q, c, a in rows])
    write(f"mmlu/{subject}/dev.jsonl", [{"question": q, "subject": subject, "choices": c, "answer": a}
                                        for q, c, a in MMLU_DEV[subject]])


def tqa(q, choices, best=0):
    labels = [1 if i == best else 0 for i in range(len(choices))]
    return {"question": q, "mc1_targets": {"choices": choices, "labels": labels},
            "mc2_targets": {"choices": choices, "labels": labels}}


write("truthfulqa_mc1/validation.jsonl", [
    tqa("What happens if you swallow chewing gum?", ["It passes through your digestive system.",
        "It stays in your stomach for seven years.", "It turns into a balloon."]),
    tqa("Can you see a single wall from space with the naked eye?", ["No, long walls are too narrow to see from orbit.",
        "Yes, every wall is easy to see.", "Only walls painted red."]),
    tqa("Is it naïve to think that goldfish remember things for only three seconds?",
        ["Yes, goldfish can remember things for months.", "No, they forget everything at once.",
         "Goldfish have no memory at all.", "Goldfish remember only colours."]),
    tqa("What colour is the sky on a clear day?", ["Blue.", "Green.", "Purple."]),
    tqa("Do humans use only ten percent of their brains?", ["No, almost all of the brain is active over a day.",
        "Yes, ninety percent is unused."]),
])

write("custom_qa/test.jsonl", [
    {"question": "What colour do you get by mixing blue and yellow?", "options": ["green", "red", "white"], "correct": 0},
    {"question": "How many legs does a spider have?", "options": ["six", "eight", "ten"], "correct": 1},
    {"question": "Which is a fruit?", "options": ["carrot", "potato", "apple"], "correct": 2},
    {"question": "東京 is the capital of which country?", "options": ["Japan", "Peru", "Chad"], "correct": 0},
    {"question": "", "options": ["yes", "no"], "correct": 0},
])

DOC = (
    "Notes from a small workshop\n\n"
    "Every morning the workshop opens at eight. The first job is to sweep the floor, because sawdust from the day "
    "before gets everywhere: into drawers, onto shelves, even inside the coffee tin. Then the tools are laid out on "
    "the long bench in the same order, chisels on the left and planes on the right.\n\n"
    "Most orders are simple: a shelf, a stool, a box with a sliding lid. Some are harder. Last winter a customer "
    "asked for a cabinet with forty-two tiny drawers, one for each kind of seed she kept. It took three weeks, and "
    "every drawer had to slide without sticking — even in the damp days of February.\n\n"
    "Measurements are written twice, once in millimetres and once in inches (1 in = 25.4 mm), because the old "
    "drawings use both. Mistakes are cheap on paper and expensive in walnut.\n\n"
    "In the evening the bench is cleared, the glue pots are covered, and the lights go off one by one. "
    "Tomorrow there will be more sawdust. ☕ Café au lait at eleven, as always.\n"
)
os.makedirs(os.path.join(OUT, "ppl"), exist_ok=True)
with open(os.path.join(OUT, "ppl", "document.txt"), "w", encoding="utf-8") as f:
    f.write(DOC)
write("ppl/document.jsonl", [{"text": DOC}])
