package main

test_token_mounted {
	deny["d mounts a service account token"] with input as {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": []}}}}
}
