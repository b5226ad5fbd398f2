# sshd-log-level: LogLevel is VERBOSE or INFO.
package assay.ssh.log_level

import rego.v1

import data.assay.ssh.lib

deny contains lib.finding("loglevel", sprintf("LogLevel is %q; want VERBOSE or INFO", [v])) if {
	v := lib.setting("loglevel")
	not v in {"VERBOSE", "INFO"}
}
