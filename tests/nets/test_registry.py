


COND = dict(conditional=True, z_dim=6, g_hidden=[16], d_hidden=[16])


def test_nets_does_not_import_config():
    """config imports nets to validate names; nets never imports config back."""
    import subprocess
    import sys

    code = "import sys, gankit.nets; sys.exit('gankit.config' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
