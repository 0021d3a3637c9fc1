"""Stand-in for pytablewriter (not in Debian): lm-eval uses it only to print the summary table at the end."""


class MarkdownTableWriter:
    def __init__(self):
        self.headers = []
        self.value_matrix = []

    def dumps(self):
        rows = [self.headers, ["---"] * len(self.headers)] + [[str(v) for v in r] for r in self.value_matrix]
        return "\n".join("|" + "|".join(str(c) for c in r) + "|" for r in rows)


class LatexTableWriter(MarkdownTableWriter):
    pass
