"""Verdicts on the article's claims (notebooks 03 and 04): the arithmetic and the rule that turns it
into a verdict, kept here so it is tested, and the notebooks only print it.

* :func:`saving_verdict`: a measured saving against an "up to X%" claim.
* :func:`brute_force_years`: years (and ages of the universe) to try every key.
* :func:`ultracluster_run`: a training run on a very large cluster with the critical batch size and
  the gradient all-reduce of notebook 01 (:func:`infralab.network.training_step`).
* :func:`debug_mode_document`: whether an attestation payload comes from a debug-mode enclave.
* :data:`ISOLATION_PRINCIPLES`: the article's three security principles, each with its mechanism,
  its conditions, its root of trust and a verdict.

References
----------
T. Brown et al., "Language Models are Few-Shot Learners", 2020 (GPT-3: 3.2M-token batch, table 2.1).
S. McCandlish et al., "An Empirical Model of Large-Batch Training", 2018 (critical batch size).
AWS Nitro Enclaves documentation (debug mode: PCRs are zero).
"""

from __future__ import annotations

import math

from . import _checks
from . import network as _network
from .chips import training_flops

#: The course's one verdict scale, from best to worst (defined in notebook 00, used by every notebook).
#: "holds only if" is always followed by the condition, e.g. "holds only if MFU reaches 55%".
VERDICTS = ("holds", "holds only if", "does not hold", "cannot be checked")

#: Age of the universe, years (Planck 2018: 13.787 +/- 0.020 Gyr).
UNIVERSE_AGE_YEARS = 13.787e9
_SECONDS_PER_YEAR = 365.25 * 24 * 3600
#: Most chips :func:`ultracluster_run` models (a billion: ten thousand times today's largest clusters).
MAX_CHIPS = 10**9
#: Most optimizer steps :func:`ultracluster_run` accepts (n_tokens / batch_tokens); the run is a closed form.
MAX_STEPS = 1e15


def saving_verdict(saving: float, claimed: float) -> str:
    """Verdict on an "up to ``claimed``" saving when the arithmetic gives ``saving`` (fractions).

    ``"holds"`` when ``saving >= claimed``; ``"holds only if"`` (followed, where it is printed, by the condition) when there is
    a saving but a smaller one (the claim then needs better utilization or another comparison);
    ``"does not hold"`` when there is no saving at all.

    Examples
    --------
    >>> saving_verdict(0.46, 0.5), saving_verdict(0.55, 0.5), saving_verdict(-0.02, 0.5)
    ('holds only if', 'holds', 'does not hold')
    """
    s = _checks.real("saving", saving, low=-1e6, high=1.0)
    c = _checks.real("claimed", claimed, low=0.0, high=1.0, low_open=True)
    if s >= c:
        return VERDICTS[0]
    return VERDICTS[1] if s > 0 else VERDICTS[2]


def brute_force_years(bits: float, keys_per_second: float, machines: float = 1.0) -> dict:
    """Years to try all ``2**bits`` keys on ``machines`` machines at ``keys_per_second`` each.

    Parameters
    ----------
    bits : float
        Key bits searched, 0 <= bits <= 4096.
    keys_per_second : float
        Keys one machine tries per second (> 0, finite).
    machines : float
        Machines searching in parallel (> 0, finite).

    Returns
    -------
    dict
        ``years`` and ``universe_ages`` (years / 13.787e9), finite and > 0.

    Raises
    ------
    ValueError
        For values out of range, or when the number of years overflows a float (beyond about
        1.8e308, e.g. 2048 bits, or a rate times machines that underflows) or underflows to zero.

    Examples
    --------
    The issue's check: 128 bits at 4e7 keys/s on a trillion machines is 2.7e11 years, about 20
    ages of the universe (not a million).

    >>> r = brute_force_years(128, 4e7, 1e12)
    >>> f"{r['years']:.2g} years = {r['universe_ages']:.0f} ages of the universe"
    '2.7e+11 years = 20 ages of the universe'
    """
    b = _checks.real("bits", bits, low=0, high=4096)
    rate = _checks.positive("keys_per_second", keys_per_second)
    m = _checks.positive("machines", machines)
    params = "bits, keys_per_second and machines"
    try:
        years = 2.0 ** b / _checks.derived("keys_per_second * machines", rate * m, params, positive=True)
    except OverflowError:     # 2.0 ** b beyond a float (bits > 1023.99...)
        raise ValueError(f"2**bits overflows a float for these values of {params}") from None
    years = _checks.derived("years", years / _SECONDS_PER_YEAR, params, positive=True)
    return {"years": years, "universe_ages": years / UNIVERSE_AGE_YEARS}


def ultracluster_run(n_params: float, n_tokens: float, n_chips: int, peak_flops: float, mfu: float, *,
                     batch_tokens: float, model_parallel: int, latency_s: float, bandwidth_Bps: float,
                     bytes_per_param: float = 2.0, overlap: float = 0.8,
                     algorithm: str = "halving_doubling") -> dict:
    """A data-parallel training run on a large cluster: compute per step plus the exposed all-reduce.

    The global batch is fixed at ``batch_tokens`` (beyond the critical batch size more tokens per
    step stop buying progress, so a bigger cluster cannot simply take a bigger batch). Each model
    replica spans ``model_parallel`` chips (the model and its optimizer state do not fit one chip);
    the ``n_chips / model_parallel`` replicas all-reduce their shard of the gradients,
    ``n_params · bytes_per_param / model_parallel`` bytes each, with notebook 01's model
    (:func:`infralab.network.training_step`, buckets and overlap included). Communication inside a
    replica (tensor/pipeline parallelism) is not modelled, so the result is optimistic.

    Parameters
    ----------
    n_params, n_tokens : float
        Model parameters and training tokens (> 0).
    n_chips : int
        Chips in the cluster, model_parallel <= n_chips <= :data:`MAX_CHIPS`.
    peak_flops, mfu : float
        Peak FLOP/s per chip and the utilization reached on compute (0 < mfu <= 1).
    batch_tokens : float
        Global batch per optimizer step, tokens (> 0).
    model_parallel : int
        Chips per model replica (1 .. 1,000,000, divides nothing in particular; replicas are
        rounded down).
    latency_s, bandwidth_Bps : float
        Per-message latency and per-chip network bandwidth of the data-parallel all-reduce.
    bytes_per_param, overlap, algorithm
        As in :func:`infralab.network.training_step`, which checks them.

    Returns
    -------
    dict
        ``ideal_hours`` (6ND / aggregate peak·MFU, the article-style figure), ``tokens_per_chip_per_step``,
        ``replicas``, ``steps``, ``compute_s``, ``comm_s``, ``exposed_s``, ``step_s``, ``hours`` and
        ``comm_fraction`` (exposed communication / step).

    Raises
    ------
    ValueError
        For values out of range, more than :data:`MAX_STEPS` optimizer steps
        (``n_tokens / batch_tokens``), or a derived time that overflows or underflows a float.

    Examples
    --------
    >>> r = ultracluster_run(174.6e9, 300e9, 100_000, 667e12, 0.4, batch_tokens=3.2e6,
    ...                      model_parallel=64, latency_s=6e-6, bandwidth_Bps=25e9)
    >>> round(r["tokens_per_chip_per_step"]), round(r["ideal_hours"], 1), r["hours"] > 3 * r["ideal_hours"]
    (32, 3.3, True)
    """
    n = _checks.positive("n_params", n_params)
    d = _checks.positive("n_tokens", n_tokens)
    mp = _checks.integer("model_parallel", model_parallel, low=1, high=1_000_000)
    chips = _checks.integer("n_chips", n_chips, low=mp, high=MAX_CHIPS)
    peak = _checks.positive("peak_flops", peak_flops)
    u = _checks.real("mfu", mfu, low=0.0, high=1.0, low_open=True)
    batch = _checks.positive("batch_tokens", batch_tokens)
    bpp = _checks.positive("bytes_per_param", bytes_per_param)
    replicas = chips // mp
    used = replicas * mp
    steps = math.ceil(_checks.real("the number of steps n_tokens / batch_tokens", d / batch, high=MAX_STEPS))
    params = "n_params, n_tokens, n_chips, peak_flops, mfu and batch_tokens"
    ideal_s = _checks.derived("the ideal time", training_flops(n, d) / (chips * peak * u), params, positive=True)
    compute_s = _checks.derived("the compute time per step", 6.0 * n * batch / (used * peak * u), params,
                                positive=True)
    step = _network.training_step(n / mp, replicas, compute_s, latency_s, bandwidth_Bps,
                                  bytes_per_param=bpp, overlap=overlap, algorithm=algorithm)
    _checks.derived("the run's hours", steps * step["step_s"] / 3600, params + " and the network")
    return {"ideal_hours": ideal_s / 3600, "tokens_per_chip_per_step": batch / chips, "replicas": replicas,
            "steps": steps, "compute_s": compute_s, "comm_s": step["comm_s"], "exposed_s": step["exposed_s"],
            "step_s": step["step_s"], "hours": steps * step["step_s"] / 3600,
            "comm_fraction": step["exposed_s"] / step["step_s"] if step["step_s"] > 0 else 0.0}


def debug_mode_document(payload: dict) -> bool:
    """True when PCR0, PCR1 and PCR2 of an attestation payload are all zero (a debug-mode enclave).

    In debug mode the parent can read the enclave's console output, so the NSM reports PCR0-2 as
    zero: such a document can never satisfy a key policy whose ``ImageSha384`` (PCR0), PCR1 or PCR2
    condition names a real image, because no image measures to 48 zero bytes. (A condition written
    as 96 zeros would match every debug-mode enclave: a policy author's mistake to avoid.)
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("pcrs"), dict):
        raise TypeError("payload must be a dict with a 'pcrs' map")
    pcrs = payload["pcrs"]
    missing = [i for i in (0, 1, 2) if i not in pcrs]
    if missing:
        raise ValueError(f"payload['pcrs'] lacks PCR(s) {missing}")
    return all(bytes(pcrs[i]) == bytes(len(pcrs[i])) for i in (0, 1, 2))


#: The condition under which principle 2 holds, word for word wherever the course states it.
PRINCIPLE_2_CONDITION = (
    "every key-policy statement that allows kms:Decrypt or kms:GenerateDataKey carries a "
    "kms:RecipientAttestation:ImageSha384 (PCR0) condition naming a real, non-zero image, and no "
    "principal other than one named break-glass role holds kms:PutKeyPolicy or kms:CreateGrant on the key")

_RELEASE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
_ADMIN_ACTIONS = ("kms:PutKeyPolicy", "kms:CreateGrant")


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def principle_2_check(policy: dict, break_glass: str | None = None) -> dict:
    """Evaluate :data:`PRINCIPLE_2_CONDITION` against a key policy in AWS's JSON form.

    Returns ``{"release_pinned": bool, "admin_limited": bool, "holds": bool, "details": [str, ...]}``.
    ``release_pinned``: every ``Allow`` statement whose actions include ``kms:Decrypt`` or
    ``kms:GenerateDataKey`` (or ``kms:*`` / ``*``) has a ``kms:RecipientAttestation:ImageSha384`` condition
    of 96 hex digits that are not all zero. ``admin_limited``: no ``Allow`` statement gives
    ``kms:PutKeyPolicy`` or ``kms:CreateGrant`` to a principal other than ``break_glass``. The key policy
    is only half of who can act on a key: IAM policies of the account can grant the same actions,
    so ``admin_limited`` speaks for the key policy alone (the details say so). A ``NotAction``
    statement allows everything it does not name, so it is read as ``*``; a malformed condition
    block pins nothing. ``TypeError`` for a policy or statement that is not a dict.

    Examples
    --------
    >>> allow = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/parent"}, "Action": "kms:Decrypt",
    ...          "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "ab" * 48}}}
    >>> principle_2_check({"Statement": [allow]})["holds"]
    True
    >>> principle_2_check({"Statement": [{**allow, "Condition": {}}]})["release_pinned"]
    False
    """
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), (list, dict)):
        raise TypeError("policy must be a dict with a 'Statement' list")
    details, release_ok, admin_ok = [], True, True
    for n, st in enumerate(_as_list(policy["Statement"])):
        if not isinstance(st, dict):
            raise TypeError(f"policy statement {n} must be a dict, got {type(st).__name__}")
        if st.get("Effect") != "Allow":
            continue
        actions = _as_list(st.get("Action", []))
        sid = st.get("Sid", f"statement {n}")
        # NotAction allows everything it does not name: read it as a wildcard (fail closed)
        wild = "NotAction" in st or any(a in ("*", "kms:*") for a in actions)
        if wild or any(a in _RELEASE_ACTIONS for a in actions):
            conditions = st.get("Condition", {})
            values = [v for cond in (conditions.values() if isinstance(conditions, dict) else ()) if isinstance(cond, dict)
                      for k, v in cond.items() if k.lower() == "kms:recipientattestation:imagesha384"]
            good = [v for v in values if isinstance(v, str) and len(v) == 96
                    and all(c in "0123456789abcdefABCDEF" for c in v) and set(v) != {"0"}]
            ok = bool(good)
            release_ok &= ok
            details.append(f"{sid!r}: allows {', '.join(a for a in actions if wild or a in _RELEASE_ACTIONS)} "
                           + ("with an ImageSha384 (PCR0) condition naming a non-zero image" if ok
                              else "WITHOUT an ImageSha384 (PCR0) condition naming a non-zero image"))
        if wild or any(a in _ADMIN_ACTIONS for a in actions):
            principals = [p for v in (st.get("Principal") or {}).values() for p in _as_list(v)] \
                if isinstance(st.get("Principal"), dict) else _as_list(st.get("Principal"))
            others = [p for p in principals if p != break_glass]
            if others:
                admin_ok = False
                details.append(f"{sid!r}: gives kms:PutKeyPolicy or kms:CreateGrant to {', '.join(map(str, others))}")
    if admin_ok:
        details.append("no statement of this key policy gives kms:PutKeyPolicy or kms:CreateGrant to a principal "
                       "other than the break-glass role; the account's IAM policies must be read as well")
    return {"release_pinned": release_ok, "admin_limited": admin_ok, "holds": release_ok and admin_ok,
            "details": details}


#: The article's three principles: who is kept out, by what, under which conditions, trusting whom.
#: ``conditions`` is the condition that follows a "holds only if" verdict, and for any other verdict
#: the assumptions it rests on; ``why`` says why the verdict is that one.
ISOLATION_PRINCIPLES = (
    {"principle": "1. the infrastructure operator (AWS staff) cannot access customer AI data",
     "mechanism": "Nitro System design: no operator access path to instance memory; keys in KMS HSMs",
     "conditions": "assumes the Nitro cards' firmware, the hypervisor and the KMS HSMs behave as AWS describes "
                   "them; none of them is open to a customer's inspection, and nothing a customer can run "
                   "(attestation included) measures them",
     "root_of_trust": "AWS itself: the Nitro hypervisor's attestation signing key and the KMS HSMs",
     "verdict": "cannot be checked",
     "why": "the input the claim needs, the running firmware and HSMs, is not published for inspection; "
            "attestation proves which image ran, signed by AWS, not that AWS cannot look, so accepting the "
            "claim means trusting AWS"},
    {"principle": "2. customers can isolate AI data from their own users and software",
     "mechanism": "Nitro Enclaves + KMS key policy with kms:RecipientAttestation:ImageSha384 (PCR0)",
     "conditions": PRINCIPLE_2_CONDITION,
     "root_of_trust": "AWS Nitro Enclaves Root-G1 certificate and KMS",
     "verdict": "holds only if",
     "why": "the mechanism is real and checkable (this notebook verifies a real document, and both halves of "
            "the condition can be read off the key policy and the account's IAM policies), but any other "
            "principal with kms:PutKeyPolicy or kms:CreateGrant can remove the attestation condition or "
            "grant kms:Decrypt without it"},
    {"principle": "3. communications between accelerators are protected",
     "mechanism": "encryption between instances in the Nitro cards (EC2 'encryption in transit'), not host cores",
     "conditions": "assumes the Nitro cards encrypt traffic between instances as the EC2 User Guide documents "
                   "(Data protection, Encryption in transit: AEAD with 256-bit keys, automatic, only between "
                   "instance types whose EncryptionInTransitSupported flag is true, in the same Region and "
                   "the same or peered VPCs, with no load balancer or transit gateway on the path; AWS's "
                   "HPC Lens says this covers EFA traffic); the cards, their firmware and keys are not open "
                   "to a customer's inspection, and the page does not cover links between accelerators "
                   "inside one instance (NVLink, NeuronLink)",
     "root_of_trust": "AWS (the Nitro cards and their keys)",
     "verdict": "cannot be checked",
     "why": "the mechanism is documented but not observable: a customer sees plaintext at both ends and "
            "cannot inspect the wire or the cards, so accepting it means trusting AWS, as for principle 1; "
            "what this notebook can compute is what the same protection would cost in host cores "
            "(section 8)"},
)
