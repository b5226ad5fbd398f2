package conflict.one

deny contains "a" if false
