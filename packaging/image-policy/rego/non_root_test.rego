package assay_image.non_root_test

import rego.v1

import data.assay_image.non_root

cfg(user) := {"kind": "image.config", "user": user}

passwd := {"kind": "file", "path": "/etc/passwd", "content": {"lines": [
	"root:x:0:0:root:/root:/sbin/nologin",
	"toor:x:0:0:root in disguise:/root:/bin/sh",
	"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin",
]}}

test_numeric_nobody_passes if {
	count(non_root.deny) == 0 with input as {"documents": [cfg("65534:65534"), passwd]}
}

test_named_nobody_passes if {
	count(non_root.deny) == 0 with input as {"documents": [cfg("nobody"), passwd]}
}

test_unset_user_is_root if {
	non_root.deny == {"the image runs as root: USER is not set"} with input as {"documents": [cfg(""), passwd]}
}

test_root_by_number if {
	count(non_root.deny) == 1 with input as {"documents": [cfg("0:0"), passwd]}
	count(non_root.deny) == 1 with input as {"documents": [cfg("000"), passwd]}
}

test_root_by_name if {
	count(non_root.deny) == 1 with input as {"documents": [cfg("root"), passwd]}
}

test_alias_of_root if {
	non_root.deny == {`the image runs as root: USER "toor" has uid 0 in /etc/passwd`} with input as {"documents": [cfg("toor"), passwd]}
}

test_unknown_user if {
	count(non_root.deny) == 1 with input as {"documents": [cfg("app"), passwd]}
}
