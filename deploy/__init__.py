"""Deployment: the container image's role dispatch (`python -m deploy.role ROLE`), the host
side of the image build (`python -m deploy.wheelhouse`), compose files and Kubernetes
manifests (see docs/deployment.md)."""
