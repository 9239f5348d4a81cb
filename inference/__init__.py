"""Model engines that run in onnxruntime; no Qt here."""
