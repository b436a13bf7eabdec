"""Trust: what a sayso video says about itself (label, watermark, manifest, recipe)."""
