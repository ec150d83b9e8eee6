#!/usr/bin/env python3
"""Deterministic synthetic English corpus for the built-in demo model (see train_demo_model.py).

Everything comes from the small grammar and fact tables below and a seeded random.Random; no
external text is used.  The corpus is a list of documents, one line each (no newlines inside a
document): short stories (present or past tense, with consistent pronouns), fact paragraphs,
"Q: ... A: ..." question/answer lines, counting, days of the week, months and simple sums.

Usage (prints statistics; --out writes the corpus, one document per line):
    python tools/demo_corpus.py [--seed 1234] [--chars 600000] [--out corpus.txt]
"""

from __future__ import annotations

import argparse
import random
import sys

# ----------------------------------------------------------------------------- word lists

# (name, pronoun set)  he: he/him/his, she: she/her/her
PEOPLE = [
    ("Tom", "he"), ("Anna", "she"), ("Ben", "he"), ("Lily", "she"), ("Sam", "he"), ("Mia", "she"),
    ("Max", "he"), ("Emma", "she"), ("Leo", "he"), ("Zoe", "she"), ("Jack", "he"), ("Lucy", "she"),
    ("Tim", "he"), ("Sara", "she"), ("Dan", "he"), ("Amy", "she"), ("Bob", "he"), ("Kate", "she"),
    ("Ned", "he"), ("Ella", "she"),
]
PRONOUNS = {
    "he": ("he", "him", "his"),
    "she": ("she", "her", "her"),
    "it": ("it", "it", "its"),
}
FAMILY = [("mum", "she"), ("dad", "he"), ("grandma", "she"), ("grandpa", "he"), ("sister", "she"),
          ("brother", "he"), ("teacher", "she")]

ANIMALS = ["cat", "dog", "bird", "rabbit", "fox", "duck", "cow", "horse", "pig", "frog", "bear",
           "mouse", "owl", "sheep", "goat", "lion", "hen", "puppy", "kitten", "turtle", "squirrel",
           "monkey", "elephant", "tiger"]
# Animal names for stories like "a little cat named Mimi".
PET_NAMES = ["Mimi", "Rex", "Fluffy", "Spot", "Coco", "Bella", "Pip", "Buddy", "Daisy", "Sunny",
             "Nibbles", "Toby"]

SIZE_ADJ = ["little", "big", "small", "tiny", "old", "young"]
MOOD_ADJ = ["happy", "sad", "sleepy", "hungry", "tired", "brave", "kind", "funny", "shy", "busy",
            "curious", "lazy", "clever", "gentle"]
COLOURS = ["red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "black", "white",
           "grey"]

# (noun, article)
TOYS = [("ball", "a"), ("kite", "a"), ("book", "a"), ("box", "a"), ("hat", "a"), ("boat", "a"),
        ("car", "a"), ("drum", "a"), ("doll", "a"), ("train", "a"), ("bike", "a"), ("cup", "a"),
        ("bag", "a"), ("balloon", "a"), ("teddy bear", "a"), ("umbrella", "an"), ("kite", "a"),
        ("robot", "a"), ("truck", "a"), ("shell", "a")]
FOODS = [("apple", "an"), ("banana", "a"), ("cake", "a"), ("carrot", "a"), ("cookie", "a"),
         ("pear", "a"), ("orange", "an"), ("sandwich", "a"), ("plum", "a"), ("pie", "a"),
         ("egg", "an"), ("bun", "a")]
FOOD_ADJ = ["sweet", "big", "fresh", "yummy", "juicy", "nice", "small"]

# (place, preposition used with it)
PLACES = [("park", "in"), ("garden", "in"), ("house", "in"), ("forest", "in"), ("river", "by"),
          ("farm", "on"), ("school", "at"), ("beach", "on"), ("hill", "on"), ("kitchen", "in"),
          ("pond", "by"), ("shop", "at"), ("zoo", "at"), ("field", "in"), ("lake", "by"),
          ("town", "in"), ("yard", "in"), ("woods", "in")]
SEATS = [("mat", "warm"), ("rug", "soft"), ("bed", "soft"), ("chair", "old"), ("box", "big"),
         ("wall", "low"), ("log", "old"), ("step", "warm"), ("bench", "long"), ("pillow", "soft"),
         ("rock", "flat"), ("grass", "green")]
HIDING = ["under the bed", "behind the door", "in the box", "under the table", "behind the tree",
          "in the bag", "under the chair", "near the door", "in the garden", "under the bench"]
WEATHER = [("sunny", "The sun was bright.", "The sun is bright."),
           ("rainy", "The rain fell all day.", "The rain falls all day."),
           ("windy", "The wind blew hard.", "The wind blows hard."),
           ("snowy", "The snow was soft and white.", "The snow is soft and white."),
           ("cloudy", "The sky was grey.", "The sky is grey."),
           ("warm", "The air was warm.", "The air is warm."),
           ("cold", "The air was cold.", "The air is cold.")]
TIMES = ["One day", "One morning", "In the morning", "After lunch", "In the evening", "One night",
         "Later", "Soon", "After a while", "That day", "The next day"]
SMALL_THINGS = ["a butterfly", "a bird", "a frog", "a bee", "a mouse", "a snail", "a leaf",
                "a ladybird", "a fish", "a duck"]
GAMES = ["tag", "hide and seek", "ball", "catch", "football", "a game"]
SONGS = ["a happy song", "a little song", "a song about the sun", "a song about the sea",
         "a funny song"]

# verb table: base, third person singular present, past
VERBS = {
    "be": ("are", "is", "was"),
    "have": ("have", "has", "had"),
    "sit": ("sit", "sits", "sat"),
    "run": ("run", "runs", "ran"),
    "play": ("play", "plays", "played"),
    "see": ("see", "sees", "saw"),
    "find": ("find", "finds", "found"),
    "give": ("give", "gives", "gave"),
    "like": ("like", "likes", "liked"),
    "love": ("love", "loves", "loved"),
    "eat": ("eat", "eats", "ate"),
    "jump": ("jump", "jumps", "jumped"),
    "sleep": ("sleep", "sleeps", "slept"),
    "go": ("go", "goes", "went"),
    "look": ("look", "looks", "looked"),
    "smile": ("smile", "smiles", "smiled"),
    "sing": ("sing", "sings", "sang"),
    "read": ("read", "reads", "read"),
    "throw": ("throw", "throws", "threw"),
    "catch": ("catch", "catches", "caught"),
    "kick": ("kick", "kicks", "kicked"),
    "take": ("take", "takes", "took"),
    "make": ("make", "makes", "made"),
    "build": ("build", "builds", "built"),
    "walk": ("walk", "walks", "walked"),
    "hide": ("hide", "hides", "hid"),
    "say": ("say", "says", "said"),
    "want": ("want", "wants", "wanted"),
    "help": ("help", "helps", "helped"),
    "wave": ("wave", "waves", "waved"),
    "laugh": ("laugh", "laughs", "laughed"),
    "cry": ("cry", "cries", "cried"),
    "come": ("come", "comes", "came"),
    "share": ("share", "shares", "shared"),
    "open": ("open", "opens", "opened"),
    "hug": ("hug", "hugs", "hugged"),
    "thank": ("thank", "thanks", "thanked"),
    "feel": ("feel", "feels", "felt"),
    "lose": ("lose", "loses", "lost"),
    "put": ("put", "puts", "put"),
    "fly": ("fly", "flies", "flew"),
    "wake": ("wake", "wakes", "woke"),
    "draw": ("draw", "draws", "drew"),
    "paint": ("paint", "paints", "painted"),
    "chase": ("chase", "chases", "chased"),
    "climb": ("climb", "climbs", "climbed"),
    "fall": ("fall", "falls", "fell"),
    "bring": ("bring", "brings", "brought"),
    "wear": ("wear", "wears", "wore"),
    "stay": ("stay", "stays", "stayed"),
    "dance": ("dance", "dances", "danced"),
    "swim": ("swim", "swims", "swam"),
    "bake": ("bake", "bakes", "baked"),
    "pick": ("pick", "picks", "picked"),
    "need": ("need", "needs", "needed"),
    "get": ("get", "gets", "got"),
    "can": ("can", "can", "could"),
    "hear": ("hear", "hears", "heard"),
    "call": ("call", "calls", "called"),
    "watch": ("watch", "watches", "watched"),
    "clean": ("clean", "cleans", "cleaned"),
    "try": ("try", "tries", "tried"),
    "count": ("count", "counts", "counted"),
    "lick": ("lick", "licks", "licked"),
    "use": ("use", "uses", "used"),
    "close": ("close", "closes", "closed"),
    "smell": ("smell", "smells", "smelled"),
    "live": ("live", "lives", "lived"),
}

NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
             "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
             "eighteen", "nineteen", "twenty"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
SEASONS = [("spring", "the flowers grow and the birds sing"), ("summer", "it is hot and sunny"),
           ("autumn", "the leaves fall from the trees"), ("winter", "it is cold and it snows")]

# ----------------------------------------------------------------------------- fact tables

COLOUR_FACTS = [("the sky", "is", "blue"), ("grass", "is", "green"), ("snow", "is", "white"),
                ("the sun", "is", "yellow"), ("a banana", "is", "yellow"), ("a lemon", "is", "yellow"),
                ("a strawberry", "is", "red"), ("a tomato", "is", "red"), ("a carrot", "is", "orange"),
                ("an orange", "is", "orange"), ("coal", "is", "black"), ("milk", "is", "white"),
                ("a cloud", "is", "white"), ("chocolate", "is", "brown"), ("a frog", "is", "green"),
                ("a leaf", "is", "green"), ("the sea", "is", "blue"), ("a pig", "is", "pink"),
                ("a crow", "is", "black"), ("a plum", "is", "purple"), ("an elephant", "is", "grey"),
                ("a fire truck", "is", "red"),
                ("a polar bear", "is", "white")]
SOUNDS = [("cow", "moo"), ("dog", "woof"), ("cat", "meow"), ("duck", "quack"), ("sheep", "baa"),
          ("pig", "oink"), ("lion", "roar"), ("owl", "hoot"), ("horse", "neigh"), ("bird", "tweet"),
          ("frog", "ribbit"), ("mouse", "squeak"), ("bee", "buzz"), ("snake", "hiss"), ("hen", "cluck")]
LEGS = [("dog", 4), ("cat", 4), ("cow", 4), ("horse", 4), ("pig", 4), ("sheep", 4), ("lion", 4),
        ("bird", 2), ("duck", 2), ("hen", 2), ("owl", 2), ("spider", 8), ("ant", 6), ("bee", 6),
        ("fish", 0), ("snake", 0), ("frog", 4), ("mouse", 4), ("elephant", 4), ("rabbit", 4)]
CAN = [("bird", "fly", True), ("fish", "swim", True), ("frog", "jump", True), ("duck", "swim", True),
       ("dog", "run", True), ("horse", "run", True), ("monkey", "climb", True), ("bee", "fly", True),
       ("rabbit", "hop", True), ("owl", "fly", True), ("pig", "fly", False), ("cow", "fly", False),
       ("fish", "walk", False), ("cat", "fly", False), ("dog", "fly", False), ("snake", "walk", False),
       ("elephant", "jump", False), ("turtle", "run", False), ("cat", "climb", True),
       ("penguin", "fly", False), ("penguin", "swim", True), ("horse", "fly", False)]
HOMES = [("fish", "in the water"), ("bird", "in a nest"), ("bee", "in a hive"), ("dog", "in a kennel"),
         ("cow", "on a farm"), ("lion", "in the grass"), ("bear", "in a cave"), ("owl", "in a tree"),
         ("frog", "in a pond"), ("whale", "in the sea"), ("duck", "on the pond"),
         ("rabbit", "in a hole"), ("spider", "in a web"), ("monkey", "in the jungle"),
         ("penguin", "on the ice"), ("pig", "on a farm")]
DIETS = [("rabbit", "carrots"), ("cow", "grass"), ("cat", "fish"), ("dog", "bones"),
         ("monkey", "bananas"), ("bird", "seeds"), ("mouse", "cheese"), ("bear", "honey"),
         ("panda", "bamboo"), ("horse", "hay"), ("squirrel", "nuts"), ("frog", "flies"),
         ("sheep", "grass"), ("hen", "corn")]
OPPOSITES = [("hot", "cold"), ("big", "small"), ("up", "down"), ("day", "night"), ("happy", "sad"),
             ("fast", "slow"), ("old", "young"), ("open", "closed"), ("wet", "dry"), ("tall", "short"),
             ("light", "dark"), ("in", "out"), ("full", "empty"), ("loud", "quiet"), ("hard", "soft"),
             ("left", "right"), ("yes", "no"), ("good", "bad")]
SENSES = [("see", "eyes"), ("hear", "ears"), ("smell", "nose"), ("taste", "tongue"),
          ("touch", "hands"), ("walk", "feet")]
OTHER_FACTS = [
    "The sun is hot.", "Ice is cold.", "Fire is hot.", "Water is wet.", "The moon shines at night.",
    "The sun shines in the day.", "Rain comes from the clouds.", "Plants need water and light.",
    "Birds have feathers.", "Fish have fins.", "A week has seven days.", "A year has twelve months.",
    "A day has twenty four hours.", "An hour has sixty minutes.", "We sleep at night.",
    "We eat breakfast in the morning.", "Bees make honey.", "Cows give milk.", "Hens lay eggs.",
    "Trees have green leaves.", "A rainbow has many colours.", "Stars shine at night.",
    "We wash our hands before we eat.", "Apples grow on trees.", "Sheep give us wool.",
]


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def plural(noun: str) -> str:
    irregular = {"sheep": "sheep", "fish": "fish", "mouse": "mice", "puppy": "puppies",
                 "fox": "foxes", "box": "boxes", "bench": "benches", "butterfly": "butterflies",
                 "ladybird": "ladybirds", "teddy bear": "teddy bears", "sandwich": "sandwiches",
                 "cookie": "cookies", "peach": "peaches", "squirrel": "squirrels"}
    return irregular.get(noun, noun + "s")


# ----------------------------------------------------------------------------- stories

class Actor:
    """A story character: how to name it, and its pronouns."""

    def __init__(self, name: str, pron: str, plural_: bool = False):
        self.name = name  # "Tom", "the little cat"
        self.subj, self.obj, self.poss = PRONOUNS[pron]
        self.plural = plural_


class Story:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.past = rng.random() < 0.6
        self.sents: list[str] = []

    def v(self, verb: str, plural_: bool = False) -> str:
        base, third, past = VERBS[verb]
        if self.past:
            if verb == "be" and plural_:
                return "were"
            return past
        return base if plural_ else third

    def say(self, s: str) -> None:
        self.sents.append(cap(s))

    def text(self) -> str:
        return " ".join(self.sents)


def pick_person(rng: random.Random, exclude: tuple = ()) -> Actor:
    while True:
        name, pron = rng.choice(PEOPLE)
        if name not in exclude:
            return Actor(name, pron)


def pick_animal_actor(rng: random.Random) -> tuple[Actor, str]:
    animal = rng.choice(ANIMALS)
    r = rng.random()
    if r < 0.35:
        adj = rng.choice(SIZE_ADJ + MOOD_ADJ)
        return Actor(f"the {adj} {animal}", "it"), animal
    if r < 0.6:
        return Actor(f"the {animal}", "it"), animal
    name = rng.choice(PET_NAMES)
    return Actor(name, rng.choice(["he", "she"])), animal


def intro(st: Story, who: Actor, animal: str | None) -> None:
    rng = st.rng
    be = st.v("be")
    if animal is not None and who.name[0].isupper():  # a named pet
        adj = rng.choice(SIZE_ADJ + MOOD_ADJ)
        opts = [f"once upon a time, there {be} {article(adj)} {adj} {animal} named {who.name}.",
                f"there {be} {article(adj)} {adj} {animal}. {cap(who.poss)} name {be} {who.name}.",
                f"{who.name} {be} {article(adj)} {adj} {animal}."]
    elif animal is not None:
        adj = rng.choice(SIZE_ADJ + MOOD_ADJ)
        home = rng.choice(["in a small house", "on a farm", "in the woods", "near a pond", "in a big garden"])
        opts = [f"once upon a time, there {be} {article(adj)} {adj} {animal}.",
                f"there {be} {article(adj)} {adj} {animal} who {st.v('live')} {home}."]
        st.say(rng.choice(opts))
        who.name = f"the {animal}"
        return
    else:
        age = rng.choice(NUM_WORDS[3:9])
        opts = [f"once upon a time, there {be} a {'boy' if who.subj == 'he' else 'girl'} named {who.name}.",
                f"{who.name} {be} {age} years old.",
                f"{who.name} {be} a {rng.choice(MOOD_ADJ)} {'boy' if who.subj == 'he' else 'girl'}.",
                f"this is {who.name}." if not st.past else f"there {be} a {'boy' if who.subj == 'he' else 'girl'} called {who.name}."]
    st.say(rng.choice(opts))


def story_sit(st: Story) -> None:
    """The little cat sat on the warm mat. It was happy."""
    rng = st.rng
    who, animal = pick_animal_actor(rng)
    if rng.random() < 0.4:
        intro(st, who, animal)
    seat, seat_adj = rng.choice(SEATS)
    seat_adj = rng.choice([seat_adj, seat_adj, rng.choice(COLOURS), rng.choice(['big', 'little', 'small', 'old'])])
    st.say(f"{who.name} {st.v('sit')} on the {seat_adj} {seat}.")
    st.say(f"{who.subj} {st.v('be')} {rng.choice(['happy', 'sleepy', 'warm', 'calm', 'comfy'])}.")
    r = rng.random()
    thing = rng.choice(SMALL_THINGS)
    if r < 0.35:
        st.say(f"{rng.choice(TIMES)}, {who.subj} {st.v('see')} {thing}.")
        st.say(f"{who.subj} {st.v('jump')} up and {st.v('chase')} it.")
        if rng.random() < 0.5:
            st.say(f"but {thing.replace('a ', 'the ', 1)} {st.v('be')} too fast.")
            st.say(f"{who.name} {st.v('go')} back to the {seat} and {st.v('sleep')}.")
        else:
            st.say(f"they {st.v('play', True)} {rng.choice(['all day', 'in the sun', 'until night', 'for a long time'])}.")
    elif r < 0.6:
        st.say(f"{who.subj} {st.v('close')} {who.poss} eyes and {st.v('sleep')} for a long time.")
        st.say(f"when {who.subj} {st.v('wake')} up, {who.subj} {st.v('be')} {rng.choice(['hungry', 'happy', 'ready to play'])}.")
    elif r < 0.8:
        friend = pick_person(rng)
        food = rng.choice(["some milk", "a fish", "some food", "a treat", "a bowl of water", "a cookie"])
        st.say(f"{friend.name} {st.v('come')} and {st.v('give')} {who.obj} {food}.")
        st.say(f"{who.name} {st.v('be')} very happy.")
    else:
        st.say(f"the sun {st.v('be')} warm and the day {st.v('be')} quiet.")
        st.say(f"{who.subj} {st.v('look')} at the {rng.choice(['sky', 'birds', 'trees', 'flowers', 'clouds'])} and {st.v('smile')}.")


def story_give(st: Story) -> None:
    """Tom has a red ball. He gives the ball to Anna."""
    rng = st.rng
    a = pick_person(rng)
    b = pick_person(rng, exclude=(a.name,))
    toy, art = rng.choice(TOYS)
    col = rng.choice(COLOURS)
    if rng.random() < 0.3:
        intro(st, a, None)
    st.say(f"{a.name} {st.v('have')} {article(col)} {col} {toy}.")
    place, prep = rng.choice(PLACES)
    st.say(rng.choice([f"{a.subj} {st.v('play')} with the {toy} {prep} the {place}.",
                       f"{a.subj} {st.v('love')} {a.poss} {toy}.",
                       f"the {toy} {st.v('be')} new and {rng.choice(['shiny', 'pretty', 'big', 'small'])}."]))
    st.say(rng.choice([f"{b.name} {st.v('come')} to play.", f"then {b.name} {st.v('come')}.",
                       f"{b.name} {st.v('see')} the {toy}.", f"{b.name} {st.v('walk')} by."]))
    r = rng.random()
    if r < 0.5:
        st.say(f"{a.subj} {st.v('give')} the {toy} to {b.name}.")
        st.say(f'{b.name} {st.v("say")}, "Thank you, {a.name}!"')
        st.say(rng.choice([f"{b.subj} {st.v('be')} happy.", "they both smiled." if st.past else "they both smile.",
                           f"now {b.name} {st.v('have')} the {col} {toy}.",
                           f"they {st.v('play', True)} together all day."]))
    elif r < 0.8:
        st.say(f'{b.name} {st.v("say")}, "Can I play with your {toy}?"')
        st.say(f'{a.name} {st.v("say")}, "Yes, let us play together!"')
        st.say(f"they {st.v('play', True)} with the {col} {toy} {prep} the {place}.")
        st.say(f"they {st.v('be', True)} very happy.")
    else:
        st.say(f"{b.name} {st.v('want')} the {toy} too.")
        st.say(f"{a.name} {st.v('share')} the {toy} with {b.name}.")
        st.say(f"sharing {st.v('be')} good.")


def story_lost(st: Story) -> None:
    rng = st.rng
    a = pick_person(rng)
    toy, _ = rng.choice(TOYS)
    col = rng.choice(COLOURS)
    h1, h2, h3 = rng.sample(HIDING, 3)
    st.say(f"{a.name} {st.v('have')} {article(col)} {col} {toy}.")
    st.say(f"{rng.choice(TIMES)}, {a.subj} {st.v('lose')} {a.poss} {toy}.")
    st.say(f"{a.subj} {st.v('be')} sad.")
    st.say(f"{a.subj} {st.v('look')} {h1}, but it {st.v('be')} not there.")
    if rng.random() < 0.5:
        st.say(f"{a.subj} {st.v('look')} {h2}, but it {st.v('be')} not there.")
    if rng.random() < 0.5:
        helper = pick_person(rng, exclude=(a.name,))
        who = helper.name
    else:
        fam, pron = rng.choice(FAMILY)
        who = f"{a.poss} {fam}"
    st.say(f"then {who} {st.v('find')} the {toy} {h3}.")
    st.say(f"{a.name} {st.v('be')} so happy. {cap(a.subj)} {st.v('hug')} the {col} {toy}.")


def story_outing(st: Story) -> None:
    rng = st.rng
    a = pick_person(rng)
    b = pick_person(rng, exclude=(a.name,))
    day = rng.choice(DAYS)
    place, prep = rng.choice([p for p in PLACES if p[0] in ("park", "beach", "farm", "zoo", "forest", "lake", "river", "hill", "field")])
    w, wpast, wpres = rng.choice(WEATHER)
    st.say(f"on {day}, {a.name} and {b.name} {st.v('go', True)} to the {place}.")
    st.say(f"it {st.v('be')} {article(w)} {w} day." if w not in ("warm", "cold") else f"it {st.v('be')} a {w} day.")
    st.say(wpast if st.past else wpres)
    n = rng.randint(2, 9)
    animal = rng.choice(["duck", "bird", "cow", "sheep", "horse", "goat", "rabbit", "frog", "fish", "pig"])
    st.say(f"they {st.v('see', True)} {NUM_WORDS[n]} {plural(animal)}.")
    r = rng.random()
    if r < 0.3:
        st.say(f"{a.name} {st.v('count')}, \"{', '.join(cap(x) if i == 0 else x for i, x in enumerate(NUM_WORDS[1:n + 1]))}.\"")
    elif r < 0.6:
        food, art = rng.choice(FOODS)
        st.say(f"{b.name} {st.v('bring')} {art} {food} for lunch.")
        st.say(f"they {st.v('eat', True)} it {prep} the {place}.")
    else:
        g = rng.choice(GAMES)
        st.say(f"they {st.v('play', True)} {g} {prep} the {place}.")
    st.say(rng.choice([f"it {st.v('be')} a good day.", f"they {st.v('be', True)} tired but happy.",
                       f"then they {st.v('go', True)} home.",
                       f"{a.name} {st.v('want')} to come back {rng.choice(['soon', 'tomorrow', 'next week'])}."]))


def story_food(st: Story) -> None:
    rng = st.rng
    a = pick_person(rng) if rng.random() < 0.6 else pick_animal_actor(rng)[0]
    food, art = rng.choice(FOODS)
    adj = rng.choice(FOOD_ADJ)
    st.say(f"{a.name} {st.v('be')} hungry.")
    st.say(rng.choice([f"{a.subj} {st.v('find')} {article(adj)} {adj} {food} {rng.choice(['on the table', 'in the kitchen', 'in a basket', 'under a tree'])}.",
                       f"{a.poss} {rng.choice(['mum', 'dad', 'grandma'])} {st.v('give')} {a.obj} {article(adj)} {adj} {food}."]))
    st.say(f"{a.subj} {st.v('eat')} the {food}.")
    st.say(rng.choice([f"it {st.v('be')} {rng.choice(['very good', 'sweet', 'yummy', 'so good'])}.",
                       f"{a.subj} {st.v('be')} not hungry any more.",
                       f"then {a.subj} {st.v('want')} one more."]))
    if rng.random() < 0.5:
        st.say(rng.choice([f"{a.subj} {st.v('say')}, \"Thank you!\"", f"{a.subj} {st.v('smile')}.",
                           f"after that, {a.subj} {st.v('go')} to sleep."]))


def story_help(st: Story) -> None:
    rng = st.rng
    a = pick_person(rng)
    animal = rng.choice(["cat", "kitten", "bird", "puppy", "duck", "squirrel", "rabbit"])
    trouble = rng.choice([("stuck in a tree", "come down"), ("lost in the park", "find its home"),
                          ("stuck in the mud", "get out"), ("cold and wet", "get warm"),
                          ("hungry and alone", "find some food")])
    st.say(f"{rng.choice(TIMES)}, {a.name} {st.v('see')} a little {animal}.")
    st.say(f"the {animal} {st.v('be')} {trouble[0]}.")
    st.say(f"{a.name} {st.v('want')} to help.")
    st.say(f"{a.subj} {st.v('help')} the {animal} {trouble[1]}.")
    st.say(rng.choice([f"the {animal} {st.v('be')} happy and {st.v('say')} thank you in its own way.",
                       f"the {animal} {st.v('lick')} {a.poss} hand.", f"the {animal} {st.v('be')} safe now.",
                       f"{a.name} {st.v('feel')} proud."]))
    if rng.random() < 0.5:
        st.say(f"from that day, {a.name} and the {animal} {st.v('be', True)} friends.")


def story_activity(st: Story) -> None:
    rng = st.rng
    a = pick_person(rng)
    c1, c2 = rng.sample(COLOURS, 2)
    animal = rng.choice(ANIMALS)
    # (hobby, verb, object, what fits afterwards)
    hobby, verb, obj, extra = rng.choice([
        ("draw", "draw", f"a picture of {article(animal)} {animal}", f"{a.subj} {st.v('use')} {c1} and {c2}."),
        ("draw", "draw", "a big sun", f"{a.subj} {st.v('use')} yellow and orange."),
        ("paint", "paint", f"a {c1} house", f"{a.subj} {st.v('use')} {c1} and {c2}."),
        ("read", "read", "a book about the sea", f"the book {st.v('have')} many pictures."),
        ("read", "read", "a story about a bear", f"the bear in the story {st.v('be')} very kind."),
        ("bake", "bake", "a cake", f"it {st.v('smell')} so good."),
        ("build", "build", "a tower of blocks", f"the tower {st.v('be')} very tall."),
        ("build", "build", "a sand castle", f"{a.subj} {st.v('put')} a shell on top."),
        ("sing", "sing", rng.choice(SONGS), f"{a.poss} friends {st.v('dance', True)}."),
        ("make things", "make", "a paper boat", f"{a.subj} {st.v('put')} it in the water."),
        ("make things", "make", "a card for mum", f"{a.subj} {st.v('draw')} a red heart on it."),
        ("help at home", "clean", "the room", f"{a.subj} {st.v('put')} the toys in the box."),
    ])
    if rng.random() < 0.4:
        intro(st, a, None)
    st.say(f"{a.name} {st.v('like')} to {hobby}.")
    st.say(f"{rng.choice(TIMES)}, {a.subj} {st.v(verb)} {obj}.")
    st.say(rng.choice([extra, f"it {st.v('take')} a long time.",
                       f"it {st.v('be')} {rng.choice(['very good', 'beautiful', 'fun'])}.",
                       f"{a.poss} {rng.choice(['mum', 'dad', 'friend', 'teacher'])} {st.v('say')}, \"Well done, {a.name}!\""]))
    st.say(f"{a.name} {st.v('be')} {rng.choice(['proud', 'happy', 'very happy'])}.")


def story_weather(st: Story) -> None:
    rng = st.rng
    a = pick_person(rng)
    w, wpast, wpres = rng.choice(WEATHER)
    st.say(f"it {st.v('be')} {article(w) if w not in ('warm', 'cold') else 'a'} {w} day.")
    st.say(wpast if st.past else wpres)
    col = rng.choice(COLOURS)
    wear = {"sunny": f"a {col} hat", "rainy": f"a {col} coat and boots", "windy": f"a warm {col} coat",
            "snowy": f"a {col} scarf and gloves", "cloudy": f"a {col} jumper", "warm": f"a {col} t-shirt",
            "cold": f"a {col} hat and a coat"}[w]
    st.say(f"{a.name} {st.v('wear')} {wear}.")
    act = {"sunny": "played in the garden", "rainy": "jumped in the puddles", "windy": "flew a kite",
           "snowy": "made a snowman", "cloudy": "went for a walk", "warm": "swam in the lake",
           "cold": "drank a cup of hot milk"}[w]
    if not st.past:
        act = {"played": "plays", "jumped": "jumps", "flew": "flies", "made": "makes", "went": "goes",
               "swam": "swims", "drank": "drinks"}[act.split()[0]] + " " + " ".join(act.split()[1:])
    st.say(f"{a.subj} {act}.")
    st.say(rng.choice([f"{a.subj} {st.v('be')} happy.", f"it {st.v('be')} fun.",
                       f"then {a.subj} {st.v('go')} home."]))


def story_count(st: Story) -> None:
    rng = st.rng
    a = pick_person(rng)
    b = pick_person(rng, exclude=(a.name,))
    food, _ = rng.choice([f for f in FOODS if f[0] not in ("cake", "pie", "sandwich")])
    x = rng.randint(2, 8)
    y = rng.randint(1, min(4, x - 1))
    give = rng.random() < 0.5
    st.past = False
    st.say(f"{a.name} has {NUM_WORDS[x]} {plural(food)}.")
    if give:
        st.say(f"{a.subj} gives {NUM_WORDS[y]} {food if y == 1 else plural(food)} to {b.name}.")
        st.say(f"now {a.name} has {NUM_WORDS[x - y]} {food if x - y == 1 else plural(food)}.")
    else:
        st.say(f"{b.name} gives {a.obj} {NUM_WORDS[y]} more.")
        st.say(f"now {a.name} has {NUM_WORDS[x + y]} {plural(food)}.")


STORIES = [(story_sit, 3), (story_give, 3), (story_lost, 2), (story_outing, 2), (story_food, 2),
           (story_help, 2), (story_activity, 2), (story_weather, 2), (story_count, 1)]


def story(rng: random.Random) -> str:
    fn = rng.choices([f for f, _ in STORIES], weights=[w for _, w in STORIES])[0]
    st = Story(rng)
    fn(st)
    if rng.random() < 0.15:
        st.say("the end.")
    return st.text()


# ----------------------------------------------------------------------------- facts, Q/A

def qa_colour(rng):
    thing, _, col = rng.choice(COLOUR_FACTS)
    return (f"What colour is {thing}?", f"{cap(thing)} is {col}.")


def qa_sound(rng):
    a, s = rng.choice(SOUNDS)
    return (f"What does {article(a)} {a} say?", f"{cap(article(a))} {a} says {s}.")


def qa_legs(rng):
    a, n = rng.choice(LEGS)
    ans = f"{cap(article(a))} {a} has no legs." if n == 0 else f"{cap(article(a))} {a} has {NUM_WORDS[n]} legs."
    return (f"How many legs does {article(a)} {a} have?", ans)


def qa_can(rng):
    a, v, yes = rng.choice(CAN)
    if yes:
        return (f"Can {article(a)} {a} {v}?", f"Yes, {article(a)} {a} can {v}.")
    return (f"Can {article(a)} {a} {v}?", f"No, {article(a)} {a} cannot {v}.")


def qa_home(rng):
    a, h = rng.choice(HOMES)
    return (f"Where does {article(a)} {a} live?", f"{cap(article(a))} {a} lives {h}.")


def qa_diet(rng):
    a, f = rng.choice(DIETS)
    return (f"What does {article(a)} {a} eat?", f"{cap(article(a))} {a} eats {f}.")


def qa_opposite(rng):
    a, b = rng.choice(OPPOSITES)
    if rng.random() < 0.5:
        a, b = b, a
    return (f"What is the opposite of {a}?", f"The opposite of {a} is {b}.")


def qa_sense(rng):
    v, part = rng.choice(SENSES)
    return (f"What do we {v} with?", f"We {v} with our {part}.")


def qa_day(rng):
    i = rng.randrange(7)
    if rng.random() < 0.5:
        return (f"What day comes after {DAYS[i]}?", f"{DAYS[(i + 1) % 7]} comes after {DAYS[i]}.")
    return (f"What day comes before {DAYS[i]}?", f"{DAYS[(i - 1) % 7]} comes before {DAYS[i]}.")


def qa_month(rng):
    i = rng.randrange(12)
    return (f"What month comes after {MONTHS[i]}?", f"{MONTHS[(i + 1) % 12]} comes after {MONTHS[i]}.")


def qa_number(rng):
    r = rng.random()
    if r < 0.4:
        a = rng.randint(0, 10)
        b = rng.randint(0, 10 - a) if a <= 10 else 0
        if rng.random() < 0.5:
            return (f"What is {NUM_WORDS[a]} plus {NUM_WORDS[b]}?", f"{cap(NUM_WORDS[a])} plus {NUM_WORDS[b]} is {NUM_WORDS[a + b]}.")
        return (f"What is {a} + {b}?", f"{a} + {b} = {a + b}.")
    if r < 0.6:
        a = rng.randint(1, 10)
        b = rng.randint(0, a)
        return (f"What is {NUM_WORDS[a]} minus {NUM_WORDS[b]}?", f"{cap(NUM_WORDS[a])} minus {NUM_WORDS[b]} is {NUM_WORDS[a - b]}.")
    n = rng.randint(0, 19)
    if rng.random() < 0.5:
        return (f"What number comes after {NUM_WORDS[n]}?", f"{cap(NUM_WORDS[n + 1])} comes after {NUM_WORDS[n]}.")
    return (f"What number comes after {n}?", f"{n + 1} comes after {n}.")


def qa_misc(rng):
    return rng.choice([
        ("How many days are in a week?", "There are seven days in a week."),
        ("How many months are in a year?", "There are twelve months in a year."),
        ("What is the first day of the week?", "Monday is the first day of the week."),
        ("What are the days of the weekend?", "Saturday and Sunday are the days of the weekend."),
        ("When do we sleep?", "We sleep at night."),
        ("What do bees make?", "Bees make honey."),
        ("What do cows give us?", "Cows give us milk."),
        ("What do hens lay?", "Hens lay eggs."),
        ("Is ice hot or cold?", "Ice is cold."),
        ("Is fire hot or cold?", "Fire is hot."),
        ("When does the moon shine?", "The moon shines at night."),
        ("What do plants need?", "Plants need water and light."),
        ("How many sides does a triangle have?", "A triangle has three sides."),
        ("How many sides does a square have?", "A square has four sides."),
        ("What shape is a ball?", "A ball is round."),
        ("How many hours are in a day?", "There are twenty four hours in a day."),
        ("What season is the coldest?", "Winter is the coldest season."),
        ("What season is the hottest?", "Summer is the hottest season."),
        ("What comes after spring?", "Summer comes after spring."),
        ("What falls from the clouds?", "Rain falls from the clouds."),
    ])


QA = [(qa_colour, 4), (qa_sound, 3), (qa_legs, 2), (qa_can, 2), (qa_home, 2), (qa_diet, 2),
      (qa_opposite, 2), (qa_sense, 1), (qa_day, 2), (qa_month, 1), (qa_number, 3), (qa_misc, 2)]


def qa_story(rng: random.Random) -> str:
    """A two-sentence story and a question about it (answer is in the context)."""
    a = pick_person(rng)
    b = pick_person(rng, exclude=(a.name,))
    toy, _ = rng.choice(TOYS)
    col = rng.choice(COLOURS)
    r = rng.random()
    if r < 0.4:
        return (f"{a.name} has {article(col)} {col} {toy}. {cap(a.subj)} gives the {toy} to {b.name}. "
                f"Q: Who has the {toy} now? A: {b.name} has the {toy} now.")
    if r < 0.7:
        return (f"{a.name} has {article(col)} {col} {toy}. "
                f"Q: What colour is the {toy}? A: The {toy} is {col}.")
    place, prep = rng.choice(PLACES)
    return (f"{a.name} and {b.name} play {prep} the {place}. "
            f"Q: Where do {a.name} and {b.name} play? A: They play {prep} the {place}.")


def qa_doc(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return qa_story(rng)
    n = rng.choice([1] * 8 + [2, 3])  # mostly one pair: a lone answer is usually followed by </s>
    fns = [f for f, _ in QA]
    ws = [w for _, w in QA]
    out = []
    for _ in range(n):
        q, a = rng.choices(fns, weights=ws)[0](rng)
        out.append(f"Q: {q} A: {a}")
    return " ".join(out)


def fact_doc(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:  # about one animal
        a = rng.choice(["cow", "dog", "cat", "duck", "pig", "horse", "sheep", "bird", "frog", "lion",
                        "owl", "mouse", "bee", "rabbit", "monkey", "bear", "hen", "fish"])
        facts = []
        for s in SOUNDS:
            if s[0] == a:
                facts.append(f"{cap(article(a))} {a} says {s[1]}.")
        for l in LEGS:
            if l[0] == a:
                facts.append(f"{cap(article(a))} {a} has no legs." if l[1] == 0 else f"{cap(article(a))} {a} has {NUM_WORDS[l[1]]} legs.")
        for c in CAN:
            if c[0] == a:
                facts.append(f"{cap(article(a))} {a} can {c[1]}." if c[2] else f"{cap(article(a))} {a} cannot {c[1]}.")
        for h in HOMES:
            if h[0] == a:
                facts.append(f"{cap(article(a))} {a} lives {h[1]}.")
        for d in DIETS:
            if d[0] == a:
                facts.append(f"{cap(article(a))} {a} eats {d[1]}.")
        rng.shuffle(facts)
        head = rng.choice([f"This is {article(a)} {a}.", f"Let us learn about the {a}.", f"The {a} is an animal."])
        return " ".join([head] + facts)
    if r < 0.5:
        picks = rng.sample(COLOUR_FACTS, rng.randint(3, 6))
        return " ".join(f"{cap(t)} {v} {c}." for t, v, c in picks)
    if r < 0.65:
        picks = rng.sample(SOUNDS, rng.randint(3, 6))
        return " ".join(f"{cap(article(a))} {a} says {s}." for a, s in picks)
    if r < 0.8:
        return " ".join(rng.sample(OTHER_FACTS, rng.randint(2, 5)))
    if r < 0.9:
        picks = rng.sample(OPPOSITES, rng.randint(3, 5))
        return " ".join(f"{cap(a)} is the opposite of {b}." for a, b in picks)
    picks = rng.sample(SEASONS, rng.randint(1, 4))
    return " ".join(f"In {s}, {d}." for s, d in picks)


def list_doc(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.25:
        a = rng.randint(1, 8)
        b = rng.randint(a + 3, 20)
        words = NUM_WORDS[a:b + 1]
        head = rng.choice(["Let us count: ", "We can count: ", "Count with me: ", ""])
        return head + (", ".join(words) if head else cap(", ".join(words))) + "."
    if r < 0.4:
        a = rng.randint(1, 10)
        b = rng.randint(a + 3, 30)
        return ", ".join(str(i) for i in range(a, b + 1)) + "."
    if r < 0.5:
        a = rng.randint(5, 10)
        return cap(", ".join(NUM_WORDS[a:0:-1])) + rng.choice([". Blast off!", ". Ready or not, here I come!", "."])
    if r < 0.7:
        i = rng.randrange(7)
        if rng.random() < 0.5:
            return "The days of the week are " + ", ".join(DAYS[:6]) + " and Sunday."
        return (f"Today is {DAYS[i]}. Tomorrow is {DAYS[(i + 1) % 7]}. Yesterday was {DAYS[(i - 1) % 7]}."
                if rng.random() < 0.6 else
                f"After {DAYS[i]} comes {DAYS[(i + 1) % 7]}. After {DAYS[(i + 1) % 7]} comes {DAYS[(i + 2) % 7]}.")
    if r < 0.8:
        if rng.random() < 0.5:
            return "The months of the year are " + ", ".join(MONTHS[:11]) + " and December."
        i = rng.randrange(12)
        return f"{MONTHS[i]} comes after {MONTHS[(i - 1) % 12]}. Then comes {MONTHS[(i + 1) % 12]}."
    if r < 0.9:
        cols = rng.sample(COLOURS, rng.randint(3, 6))
        return rng.choice(["I know many colours: ", "Colours: ", "My favourite colours are "]) + ", ".join(cols[:-1]) + " and " + cols[-1] + "."
    ans = rng.sample(ANIMALS, rng.randint(3, 6))
    return rng.choice(["On the farm there is ", "At the zoo we saw ", "I like "]) + ", ".join(
        f"{article(x)} {x}" for x in ans[:-1]) + f" and {article(ans[-1])} {ans[-1]}."


KINDS = [(story, 55), (qa_doc, 22), (fact_doc, 12), (list_doc, 11)]


def generate(seed: int = 1234, n_chars: int = 600_000) -> list[str]:
    """Documents (one line each, no newlines) until their total size reaches n_chars."""
    rng = random.Random(seed)
    fns = [f for f, _ in KINDS]
    ws = [w for _, w in KINDS]
    docs, total = [], 0
    while total < n_chars:
        d = rng.choices(fns, weights=ws)[0](rng)
        assert "\n" not in d and "  " not in d, d
        docs.append(d)
        total += len(d) + 1
    return docs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--chars", type=int, default=600_000)
    ap.add_argument("--out", default=None)
    ap.add_argument("--show", type=int, default=0, help="print this many documents")
    a = ap.parse_args()
    docs = generate(a.seed, a.chars)
    text = "\n".join(docs) + "\n"
    words = set(w.strip('.,!?":').lower() for d in docs for w in d.split())
    print(f"{len(docs)} documents, {len(text)} chars, {len(set(docs))} distinct, {len(words)} distinct words",
          file=sys.stderr)
    for d in docs[:a.show]:
        print(d)
    if a.out:
        with open(a.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
