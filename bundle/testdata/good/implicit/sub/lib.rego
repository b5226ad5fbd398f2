package k8s.lib

is_deployment if input.kind == "Deployment"
