package assay.ssh.root_login_test

import data.assay.ssh.root_login

test_yes if {
	count(root_login.deny) == 1 with input as {"settings": {"permitrootlogin": "yes"}, "path": "/etc/ssh/sshd_config"}
}
