package assay_image.no_shell

import rego.v1

deny contains {"msg": msg, "path": doc.path} if {
	some doc in input.documents
	doc.kind == "file"
	msg := sprintf("the image has a shell: %s", [doc.path])
}
