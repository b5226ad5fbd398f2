package tiny.flag

deny contains "flagged bad" if input.bad
