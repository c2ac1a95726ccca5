"""The TLS app from the sites' `tls` values and the global options (Caddy's tlsapp.go):
automation policies per site, issuers with global ACME defaults filled in, certificate loaders,
on-demand, DNS, ECH, and the policy consolidation Caddy applies for a tidy output.
"""
from __future__ import annotations
from typing import Any

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.acmedefaults import fill_in_global_acme_defaults, implicit_acme_issuers
from caddy_py.httpcaddyfile.addresses import AddressesWithProtocols
from caddy_py.httpcaddyfile.certnames import (
    certmagic_qualifies_for_public_cert,
    is_tailscale_domain,
    subject_qualifies_for_cert,
    subject_qualifies_for_public_cert,
)
from caddy_py.httpcaddyfile.policydedupe import dedupe, settings_equal
from caddy_py.httpcaddyfile.policysubsets import SubsetIndex
from caddy_py.httpcaddyfile.tlsmodels import ACMEIssuer, AutomationPolicy, InternalIssuer, default_issuers, issuer_json

__all__ = ["build_tls_app", "implicit_acme_issuers"]


def listeners_use_any_port_other_than(addresses: list[str], port: str) -> bool:
    from caddy_py.httpcaddyfile.addresses import parse_network_port_range

    try:
        other = int(port)
    except ValueError:
        return False
    for addr in addresses:
        rng = parse_network_port_range(addr)
        if rng is not None and not rng[0] <= other <= rng[1]:
            return True
    return False


def go_issuers(issuers: list[Any]) -> str:
    """A []certmagic.Issuer as Go's %#v prints it (the pointer values are made up)."""
    if not issuers:
        return "[]certmagic.Issuer(nil)"
    names = {"acme": "ACMEIssuer", "internal": "InternalIssuer", "zerossl": "ZeroSSLIssuer"}
    items = [f"(*caddytls.{names.get(i.module, 'Issuer')})(0x{0xc000010000 + 0x100 * n:x})"
             for n, i in enumerate(issuers)]
    return "[]certmagic.Issuer{" + ", ".join(items) + "}"


def new_base_automation_policy(options: dict[str, Any], always: bool) -> AutomationPolicy | None:
    has_issuers = "cert_issuer" in options
    has_local = "local_certs" in options
    has_key_type = "key_type" in options
    has_ocsp = "ocsp_stapling" in options
    has_ratio = "renewal_window_ratio" in options
    has_auto_opts = has_issuers or has_local or has_key_type or has_ocsp or has_ratio
    has_acme_defaults = (options.get("acme_ca") is not None or options.get("acme_ca_root") is not None
                         or "acme_dns" in options or options.get("acme_eab") is not None
                         or options.get("preferred_chains") is not None)
    if not has_auto_opts and not has_acme_defaults:
        return AutomationPolicy() if always else None
    ap = AutomationPolicy()
    if has_key_type:
        ap.key_type = options["key_type"]
    if has_issuers and has_local:
        raise CaddyfileError("global options are ambiguous: local_certs is confusing when combined with "
                             "cert_issuer, because local_certs is also a specific kind of issuer")
    if has_issuers:
        ap.issuers = list(options["cert_issuer"])
    elif has_local:
        ap.issuers = [InternalIssuer()]
    if has_acme_defaults:
        for i, iss in enumerate(ap.issuers):
            try:
                fill_in_global_acme_defaults(iss, options)
            except CaddyfileError as e:
                raise CaddyfileError(f"filling in global issuer defaults for issuer {i}: {e}") from None
    if has_ocsp:
        ap.disable_ocsp_stapling = bool(options["ocsp_stapling"].get("disable_stapling"))
    if has_ratio:
        ap.renewal_window_ratio = options["renewal_window_ratio"]
    return ap


# -- the app ----------------------------------------------------------------------------------------
def build_tls_app(pairings: list[Any], options: dict[str, Any], warnings: list[Any]) -> tuple[dict | None, list[Any]]:
    """(the "tls" app JSON, or None when it would be empty; warnings)."""
    certificates: dict[str, Any] = {}
    automation: dict[str, Any] = {}
    policies: list[AutomationPolicy] | None = None
    loaders: list[Any] = []
    http_port = str(options["http_port"]) if isinstance(options.get("http_port"), int) else "80"
    auto_https = options.get("auto_https") or []

    shared_with_hostless: dict[str, None] = {}
    if "off" not in auto_https:
        for p in pairings:
            for sb in p.server_blocks:
                for addr in sb.parsed_keys:
                    if addr.host:
                        continue
                    for other in sb.parsed_keys:
                        if other.original == addr.original:
                            continue
                        if other.host and other.scheme != "http" and other.port != http_port:
                            shared_with_hostless[other.host] = None
                    break

    def add_policy(ap: AutomationPolicy) -> None:
        nonlocal policies
        if policies is None:
            policies = []
        policies.append(ap)

    catch_all = new_base_automation_policy(options, False)
    if catch_all is not None:
        add_policy(catch_all)
    forced: dict[str, None] = {}

    for p in pairings:
        addresses = [a for a, _ in p.addresses_with_protocols]
        if not listeners_use_any_port_other_than(addresses, http_port):
            continue
        for sb in p.server_blocks:
            if sb.is_all_http():
                continue
            ap = new_base_automation_policy(options, True)
            hosts = sb.hosts_from_keys(False)
            if not hosts and catch_all is not None:
                ap = catch_all
            pile = sb.pile
            if "tls.on_demand" in pile:
                ap.on_demand = True
            if "tls.force_automate" in pile:
                for host in hosts:
                    forced[host] = None
            if "tls.reuse_private_keys" in pile:
                ap.reuse_private_keys = True
            if "tls.key_type" in pile:
                ap.key_type = pile["tls.key_type"][0].value
            if "tls.renewal_window_ratio" in pile:
                ap.renewal_window_ratio = pile["tls.renewal_window_ratio"][0].value
            elif "renewal_window_ratio" in options:
                ap.renewal_window_ratio = options["renewal_window_ratio"]
            if "tls.cert_issuer" in pile:
                issuers = [cv.value for cv in pile["tls.cert_issuer"]]
                if ap is catch_all and ap.issuers != issuers:
                    raise CaddyfileError(
                        "automation policy from site block is also default/catch-all policy because of key "
                        f"without hostname, and the two are in conflict: {go_issuers(ap.issuers)} != {go_issuers(issuers)}")
                ap.issuers = issuers
            for cv in pile.get("tls.cert_manager", []):
                ap.managers.append(cv.value)
            for cv in pile.get("bind", []):
                for iss in ap.issuers:
                    acme = iss.acme_issuer()
                    if acme is None:
                        continue
                    ch = acme.challenges_cfg()
                    if not ch.bind_host:
                        v = cv.value
                        ch.bind_host = v.addresses[0] if isinstance(v, AddressesWithProtocols) and v.addresses else ""
            if not hosts and catch_all is None:
                catch_all = ap
            ap.subjects = sorted(sb.hosts_from_keys_not_http(http_port))
            ap2 = None
            if not ap.issuers:
                internal, external = [], []
                for s in ap.subjects:
                    if is_tailscale_domain(s):
                        continue
                    if not subject_qualifies_for_cert(s):
                        raise CaddyfileError(f"subject does not qualify for certificate: '{s}'")
                    (external if subject_qualifies_for_public_cert(ap, s) else internal).append(s)
                if external and internal:
                    ap.subjects = external
                    ap2 = ap.copy()
                    ap2.subjects = internal
                    ap2.issuers_raw = [issuer_json(InternalIssuer())]
            add_policy(ap)
            if ap2 is not None:
                add_policy(ap2)
            for cv in pile.get("tls.cert_loader", []):
                loaders.append(cv.value)

    by_name: dict[str, list] = {}
    for cl in loaders:
        by_name.setdefault(cl.module, []).extend(cl)
    for name, items in by_name.items():
        certificates[name] = items

    if options.get("on_demand_tls") is not None:
        automation["on_demand"] = options["on_demand_tls"]
    tls_dns = options.get("dns")
    tls_resolvers = options.get("tls_resolvers")
    ech = options.get("ech")
    if ech is not None:
        ap = new_base_automation_policy(options, True)
        ap.subjects = ap.subjects + [c["public_name"] for c in ech.get("configs", []) if c.get("public_name")]
        add_policy(ap)
    if options.get("storage_clean_interval") not in (None, False):
        automation["storage_clean_interval"] = options["storage_clean_interval"]
    if options.get("renew_interval") is not None:
        automation["renew_interval"] = options["renew_interval"]
    if options.get("ocsp_interval") is not None:
        automation["ocsp_interval"] = options["ocsp_interval"]

    al: list[str] = []
    internal_ap = AutomationPolicy(issuers_raw=[{"module": "internal"}])
    if "off" not in auto_https and "disable_certs" not in auto_https:
        for host in shared_with_hostless:
            al.append(host)
            if not certmagic_qualifies_for_public_cert(host):
                internal_ap.subjects.append(host)
    for name in forced:
        if name not in al:
            al.append(name)
    al.sort()
    if al:
        certificates["automate"] = al
    if internal_ap.subjects:
        add_policy(internal_ap)

    has_automation = policies is not None or bool(automation)
    if has_automation and policies:
        _apply_global_acme_defaults(policies, options)
        for i, ap in enumerate(policies):
            for j, iss in enumerate(ap.issuers):
                try:
                    fill_in_global_acme_defaults(iss, options)
                except CaddyfileError as e:
                    raise CaddyfileError(f"filling in global issuer defaults for AP {i}, issuer {j}: {e}") from None
            if ap.issuers and ap.issuers_raw is None:
                ap.issuers_raw = [issuer_json(iss) for iss in ap.issuers]
        policies = consolidate_automation_policies(policies)
        seen: set[str] = set()
        for ap in policies or []:
            for s in ap.subjects:
                if s in seen:
                    raise CaddyfileError("hostname appears in more than one automation policy, making "
                                         f"certificate management ambiguous: {s}")
                seen.add(s)

    app: dict[str, Any] = {}
    if certificates:
        app["certificates"] = {k: certificates[k] for k in sorted(certificates)}
    auto_json: dict[str, Any] = {}
    if policies:
        auto_json["policies"] = [ap.to_json() for ap in policies]
    for k in ("on_demand", "ocsp_interval", "renew_interval", "storage_clean_interval"):
        if k in automation and automation[k] is not None:
            auto_json[k] = automation[k]
    if auto_json:
        app["automation"] = auto_json
    ocsp = options.get("ocsp_stapling")
    if ocsp is not None and ocsp.get("disable_stapling"):
        app["disable_ocsp_stapling"] = True
    if options.get("storage_check") == "off":
        app["disable_storage_check"] = True
    if options.get("storage_clean_interval") is False:
        app["disable_storage_clean"] = True
    if ech is not None:
        app["encrypted_client_hello"] = ech
    if tls_dns is not None:
        app["dns"] = tls_dns
    if tls_resolvers is not None:
        app["resolvers"] = list(tls_resolvers)
    return (app or None), warnings


def _apply_global_acme_defaults(policies: list[AutomationPolicy], options: dict[str, Any]) -> None:
    """Policies for public names without issuers get default issuers when ACME globals are set."""
    email = options.get("email")
    has_defaults = (email is not None or options.get("acme_ca") is not None or options.get("acme_ca_root") is not None
                    or "acme_dns" in options or options.get("acme_eab") is not None
                    or options.get("preferred_chains") is not None)
    if not has_defaults:
        return
    for ap in policies:
        if not ap.issuers and automation_policy_has_all_public_names(ap):
            ap.issuers = default_issuers(email if isinstance(email, str) else "")
            if options.get("acme_ca") is not None:
                ap.issuers = [ACMEIssuer()]


def automation_policy_has_all_public_names(ap: AutomationPolicy) -> bool:
    return not any(not subject_qualifies_for_public_cert(ap, s) or is_tailscale_domain(s) for s in ap.subjects)


def _shadows(i: int, aps: list[AutomationPolicy], subsets: SubsetIndex) -> int:
    """automationPolicyShadows: the first later policy that covers aps[i], or -1."""
    for j in range(i + 1, len(aps)):
        if subsets.is_subset(aps[i], aps[j]):
            return j
    return -1


class _SubjectFacts:
    """Per-policy facts about its subjects (public/internal names, the set of them), kept up to
    date across merges: the duplicate pass asks for them on every pair of policies."""

    def __init__(self, subsets: SubsetIndex) -> None:
        self._facts: dict[int, tuple[list[str], bool, bool, set[str]]] = {}
        self._subsets = subsets
        # subjects lists this object made in a merge, by policy: only those grow in place
        self._owned: dict[int, list[str]] = {}

    def _get(self, ap: AutomationPolicy) -> tuple[list[str], bool, bool, set[str]]:
        hit = self._facts.get(id(ap))
        if hit is None or hit[0] is not ap.subjects:
            public = [subject_qualifies_for_public_cert(ap, s) for s in ap.subjects]
            hit = (ap.subjects, any(public), not all(public), set(ap.subjects))
            self._facts[id(ap)] = hit
        return hit

    def implicit_class(self, ap: AutomationPolicy) -> str:
        if not ap.subjects:
            return "catch-all"
        _, pub, internal, _ = self._get(ap)
        if pub and internal:
            return "mixed"
        return "public" if pub else "internal"

    def uses_default_internal(self, ap: AutomationPolicy) -> bool:
        if not ap.issuers_raw and not ap.issuers:
            return self.implicit_class(ap) == "internal"
        return (bool(ap.issuers_raw) and len(ap.issuers_raw) == 1 and not ap.issuers
                and ap.issuers_raw[0] == {"module": "internal"})

    def same_issuers(self, a: AutomationPolicy, b: AutomationPolicy) -> bool:
        """automationPoliciesHaveSameIssuers."""
        if (a.issuers_raw or None) == (b.issuers_raw or None):
            if a.issuers_raw or a.issuers or b.issuers_raw or b.issuers:
                return True
            ca, cb = self.implicit_class(a), self.implicit_class(b)
            return ca == "catch-all" or cb == "catch-all" or ca == cb
        return self.uses_default_internal(a) and self.uses_default_internal(b)

    def merge_subjects(self, a: AutomationPolicy, b: AutomationPolicy) -> None:
        """a gets b's subjects it lacks, in order. The first merge gives a a new list (its old
        one may be shared); later merges extend that list in place (a copy per merge was
        quadratic when one policy absorbs thousands) and drop the subset index's stale entry."""
        subjects, pub, internal, have = self._get(a)
        _, b_pub, b_internal, _ = self._get(b)
        extra = []
        for subj in b.subjects:
            if subj not in have:
                have.add(subj)
                extra.append(subj)
        if self._owned.get(id(a)) is subjects:
            subjects.extend(extra)
            self._subsets.forget(a)
        else:
            a.subjects = subjects + extra
            self._owned[id(a)] = a.subjects
        self._facts[id(a)] = (a.subjects, pub or b_pub, internal or b_internal, have)


def _deep_equal(a: AutomationPolicy, b: AutomationPolicy) -> bool:
    # subjects first: they almost always differ, and comparing them is cheaper than the
    # dataclass's tuples of every field (asked for every pair of policies)
    return a.subjects == b.subjects and a == b


def consolidate_automation_policies(aps: list[AutomationPolicy]) -> list[AutomationPolicy] | None:
    from caddy_py.httpcaddyfile.gosort import slice_stable

    subsets = SubsetIndex()

    def less(x: AutomationPolicy, y: AutomationPolicy) -> bool:
        if subsets.is_subset(x, y):
            return True
        if subsets.is_subset(y, x):
            return False
        return len(x.subjects) > len(y.subjects)

    aps = list(aps)
    slice_stable(aps, less)
    facts = _SubjectFacts(subsets)
    # the first pass only removes the policy it stands on, so the sorted order indexes it
    subsets.index(aps)
    alive = {id(ap) for ap in aps}

    empty_count = 0
    orig_len = len(aps)
    empty = AutomationPolicy()
    i = 0
    while i < len(aps):
        empty.subjects = aps[i].subjects
        empty.managers = []
        if _deep_equal(aps[i], empty):
            empty_count += 1
            shadow = subsets.first_cover(aps[i], alive)
            empty.subjects = []
            if shadow is not None:
                empty.subjects = shadow.subjects
                empty.managers = shadow.managers
            if i == len(aps) - 1 or (shadow is not None and _deep_equal(shadow, empty)):
                alive.discard(id(aps[i]))
                del aps[i]
                i -= 1
        i += 1
    if empty_count == orig_len:
        return None

    deduped = dedupe(aps, _deep_equal, facts.same_issuers, facts.merge_subjects, subsets.is_subset)
    return deduped if deduped is not None else _dedupe_pairwise(aps, facts, subsets)


def _dedupe_pairwise(aps: list[AutomationPolicy], facts: _SubjectFacts, subsets: SubsetIndex) -> list[AutomationPolicy]:
    """Go's loop as written, for policies holding values the indexed pass cannot bucket."""
    i = 0
    while i < len(aps):
        restart = False
        j = i + 1
        while j < len(aps):
            a, b = aps[i], aps[j]
            if _deep_equal(a, b):
                del aps[j]
                restart = True
                break
            if facts.same_issuers(a, b) and settings_equal(a, b):
                if a.subjects and not b.subjects:
                    if _shadows(i, aps, subsets) >= j:
                        del aps[i]
                        restart = True
                        break
                else:
                    facts.merge_subjects(a, b)
                    del aps[j]
                    j -= 1
            j += 1
        if restart:
            i -= 1
        i += 1
        if i < 0:
            i = 0
    return aps
