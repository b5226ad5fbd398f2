package support.other

warn contains "never" if false
