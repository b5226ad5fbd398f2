package tiny.flag_test

import data.tiny.flag

test_bad if flag.deny with input as {"bad": true}

test_good if count(flag.deny) == 0 with input as {"bad": false}
