"""Plain eager PyTorch GAN loops, written the way tutorials write them, that `make bench` runs
beside gankit (`python -m gankit.bench.reference.eager_paper`, ...). They import nothing of
gankit's: see README.md here."""
