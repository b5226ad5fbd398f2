# sshd-kbd-interactive: Keyboard-interactive authentication is disabled.
package assay.ssh.kbd_interactive

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("kbdinteractiveauthentication", sprintf("KbdInteractiveAuthentication is %q; want \"no\"", [v])) if {
	v := lib.setting("kbdinteractiveauthentication")
	v != "no"
}
