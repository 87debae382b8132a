"""Quick check of one tenant file: `python -m knowledge_base.check_file FILE...` (helper for authors)."""

import sys

import yaml

from knowledge_base.schema import TenantFile

ok = True
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    try:
        tf = TenantFile.model_validate(data)
    except Exception as exc:  # noqa: BLE001
        ok = False
        print(f"{path}: INVALID\n{exc}")
        continue
    ids = [s.id for s in tf.services]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        ok = False
        print(f"{path}: duplicate ids {sorted(dup)}")
    print(f"{path}: {len(ids)} services OK, verified={sum(s.verified for s in tf.services)}")
sys.exit(0 if ok else 1)
