# sshd-log-level: LogLevel is one of the log_levels param (VERBOSE or INFO).
package assay.ssh.log_level

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("loglevel", sprintf("LogLevel is %q; want %s", [v, concat(" or ", levels)])) if {
	v := lib.setting("loglevel")
	levels := lib.params.log_levels
	not v in levels
}
