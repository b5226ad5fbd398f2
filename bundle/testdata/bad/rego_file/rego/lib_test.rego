package old_test

test_x {
	true
}
