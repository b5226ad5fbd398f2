package sshd

// Bounds on the files the collector reads whole (target.ReadFile: a sparse
// 200 GB sshd_config in a hostile root must not be asked for at once).
const (
	maxConfigFile  = 16 << 20 // sshd_config and its includes; also sshd's 16 MiB line
	maxAccountFile = 16 << 20 // /etc/passwd, /etc/group, /etc/services
)
