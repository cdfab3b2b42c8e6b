"""Validates an ASFF findings list (stdin) with botocore's own parameter validator for
Security Hub's BatchImportFindings, in batches of at most 100 findings (the call's limit).

Exit status: 0 valid, 1 invalid (errors on stdout), 3 botocore is not installed."""

import json
import sys

try:
    import botocore.session
    import botocore.validate
except ImportError as error:
    print(f"botocore is not installed: {error}")
    sys.exit(3)

BATCH_LIMIT = 100

findings = json.load(sys.stdin)
if not isinstance(findings, list):
    print("the document is not a list of findings")
    sys.exit(1)
model = botocore.session.get_session().get_service_model("securityhub")
input_shape = model.operation_model("BatchImportFindings").input_shape
validator = botocore.validate.ParamValidator()
failed = False
for start in range(0, len(findings), BATCH_LIMIT):
    batch = findings[start : start + BATCH_LIMIT]
    report = validator.validate({"Findings": batch}, input_shape)
    if report.has_errors():
        failed = True
        print(f"batch starting at finding {start}:\n{report.generate_report()}")
print(f"{len(findings)} findings checked in batches of {BATCH_LIMIT}")
sys.exit(1 if failed else 0)
