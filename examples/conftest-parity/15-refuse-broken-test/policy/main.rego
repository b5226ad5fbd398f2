package main

import rego.v1

deny contains "privileged" if input.securityContext.privileged
