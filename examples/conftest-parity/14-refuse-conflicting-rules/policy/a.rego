package main

import rego.v1

deny contains "no replicas" if not input.spec.replicas
