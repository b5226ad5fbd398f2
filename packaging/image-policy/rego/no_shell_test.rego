package assay_image.no_shell_test

import rego.v1

import data.assay_image.no_shell

test_no_shell_passes if {
	count(no_shell.deny) == 0 with input as {"documents": [{"kind": "image.config", "user": "65534"}]}
}

test_each_shell_is_a_finding if {
	findings := no_shell.deny with input as {"documents": [
		{"kind": "image.config", "user": "65534"},
		{"kind": "file", "path": "/bin/sh"},
		{"kind": "file", "path": "/bin/busybox"},
	]}
	findings == {
		{"msg": "the image has a shell: /bin/sh", "path": "/bin/sh"},
		{"msg": "the image has a shell: /bin/busybox", "path": "/bin/busybox"},
	}
}
