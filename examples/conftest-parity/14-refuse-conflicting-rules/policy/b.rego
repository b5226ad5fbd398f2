package main

import rego.v1

deny := "a complete rule where another file makes deny a set"
