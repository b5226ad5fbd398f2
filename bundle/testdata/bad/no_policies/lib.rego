package lib

helper(x) := x + 1
