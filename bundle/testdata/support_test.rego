package support.ok_test

test_ok if true
