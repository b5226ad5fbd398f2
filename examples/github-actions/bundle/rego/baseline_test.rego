package assay.image_baseline_test

import data.assay.image_baseline.os_release
import data.assay.image_baseline.supported_os

test_debian_11_is_old if {
	count(supported_os.deny) == 1 with input as {"kind": "host", "os": {"id": "debian", "version_id": "11"}}
}

test_debian_12_is_fine if {
	count(supported_os.deny) == 0 with input as {"kind": "host", "os": {"id": "debian", "version_id": "12"}}
}

test_alpine_minor if {
	count(supported_os.deny) == 1 with input as {"kind": "host", "os": {"id": "alpine", "version_id": "3.18.4"}}
	count(supported_os.deny) == 0 with input as {"kind": "host", "os": {"id": "alpine", "version_id": "3.20.1"}}
}

test_no_os_release if {
	count(os_release.deny) == 1 with input as {"kind": "host", "os": {}}
	count(os_release.deny) == 0 with input as {"kind": "host", "os": {"id": "debian"}}
}
