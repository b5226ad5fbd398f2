package assay.image_baseline.os_release

deny contains msg if {
	input.kind == "host"
	not input.os.id
	msg := "no /etc/os-release in the image: its distribution is unknown"
}
