package assay.lib.util

is_yes(v) if lower(v) == "yes"
