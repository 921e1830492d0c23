"""The suite's own scheduling: `make test` runs on one worker per core with --dist loadgroup, and
tests that share an expensive fixture (the README tour's trained runs, Fashion-MNIST's scores) are
marked xdist_group so one worker builds it once. pytest 9.2 with pytest-xdist 3.8 ignored the
marks silently (each worker trained the tour again); this checks that they hold."""

import subprocess
import sys


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(
        "import os, pytest\n"
        + "".join(f"@pytest.mark.xdist_group('shared')\ndef test_g{i}(): open({str(tmp_path)!r} + '/g' + os.environ"
                  f"['PYTEST_XDIST_WORKER'], 'a').write('x')\n" for i in range(6))
        + "".join(f"def test_free{i}(): pass\n" for i in range(6)))
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
                        "--rootdir", str(tmp_path), str(tmp_path / "test_grouped.py")],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:]
    ran = sorted(f.name for f in tmp_path.glob("g*"))
    assert len(ran) == 1 and len((tmp_path / ran[0]).read_text()) == 6, ran  # all six on one worker
