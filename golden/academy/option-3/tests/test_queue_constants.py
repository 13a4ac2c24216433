from libs.queue import constants


def test_lease_shorter_than_visibility_timeout():
    assert constants.SQS_LEASE_SECONDS < constants.SQS_VISIBILITY_TIMEOUT


def test_ssot_values():
    assert constants.SQS_LEASE_SECONDS == 3540
    assert constants.SQS_VISIBILITY_TIMEOUT == 3600
    assert constants.INFERENCE_MAX_SECONDS == 3600
