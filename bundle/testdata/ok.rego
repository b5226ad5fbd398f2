package support.ok

deny contains "always" if false
