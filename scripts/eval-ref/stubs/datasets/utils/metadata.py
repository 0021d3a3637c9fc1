"""Imported by lm-eval's hub-upload code only (never called on the reference path)."""


class MetadataConfigs(dict):
    pass
