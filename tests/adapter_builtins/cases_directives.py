"""Caddyfiles exercising the built-in directives (Caddy's builtins.go), valid and invalid."""

SITE = ":8080 {{\n{}}}\n"


def site(body: str, address: str = ":8080") -> str:
    return f"{address} {{\n{body}}}\n"


DIRECTIVE_CASES: dict[str, str] = {
    # bind
    "bind_protocols": site("\tbind 127.0.0.1 {\n\t\tprotocols h1 h2\n\t}\n\trespond x\n", "a.com"),
    "bind_protocols_empty": site("\tbind 127.0.0.1 {\n\t\tprotocols\n\t}\n"),
    "bind_unknown_sub": site("\tbind 127.0.0.1 {\n\t\tnope\n\t}\n"),
    # root / fs / vars
    "root_one_arg": site("\troot /srv\n\trespond x\n"),
    "root_matcher": site("\troot /a* /srv/a\n\trespond x\n"),
    "root_no_args": site("\troot\n"),
    "root_too_many": site("\troot a b c\n"),
    "fs": site("\tfs myfs\n\trespond x\n"),
    "fs_extra": site("\tfs a b\n"),
    "fs_none": site("\tfs\n"),
    "vars_block": site("\tvars {\n\t\ta 1\n\t\tb 2.5\n\t\tc true\n\t\td \"4\"\n\t\te f\n\t}\n\trespond x\n"),
    "vars_missing_value": site("\tvars a\n"),
    "vars_extra": site("\tvars a b c\n"),
    # redir
    "redir_default": site("\tredir https://x.com{uri}\n"),
    "redir_permanent": site("\tredir /a /b permanent\n"),
    "redir_temporary": site("\tredir /b temporary\n"),
    "redir_html": site("\tredir /a \"/b?x=1&y=<2>\" html\n"),
    "redir_placeholder": site("\tredir /b {http.vars.code}\n"),
    "redir_401": site("\tredir /login 401\n"),
    "redir_bad_code": site("\tredir /b 200\n"),
    "redir_not_int": site("\tredir /b xyz\n"),
    "redir_none": site("\tredir\n"),
    # respond / abort / error
    "respond_status_only": site("\trespond 404\n"),
    "respond_body_status": site("\trespond \"not found\" 404\n"),
    "respond_four_digit": site("\trespond 4040\n"),
    "respond_block": site("\trespond 200 {\n\t\tbody \"hello\"\n\t\tclose\n\t}\n"),
    "respond_body_twice": site("\trespond hi {\n\t\tbody again\n\t}\n"),
    "respond_close_twice": site("\trespond 200 {\n\t\tclose\n\t\tclose\n\t}\n"),
    "respond_unknown_sub": site("\trespond 200 {\n\t\tnope\n\t}\n"),
    "respond_too_many": site("\trespond a b c\n"),
    "respond_placeholder_status": site("\trespond body {http.vars.s}\n"),
    "abort": site("\tabort /x\n\trespond y\n"),
    "abort_args": site("\tabort /x y\n"),
    "error_message_status": site("\terror \"bad thing\" 503\n"),
    "error_status": site("\terror 403\n"),
    "error_block": site("\terror 500 {\n\t\tmessage oops\n\t}\n"),
    "error_message_twice": site("\terror oops {\n\t\tmessage again\n\t}\n"),
    "error_unknown_sub": site("\terror 500 {\n\t\tnope\n\t}\n"),
    # route / handle / handle_errors / invoke
    "route_keeps_order": site("\troute /r* {\n\t\trespond /r/b b\n\t\tvars x 1\n\t\trespond a\n\t}\n"),
    "handle_sorted": site("\thandle /h* {\n\t\trespond x\n\t\tvars y 1\n\t}\n"),
    "handle_errors_codes": site("\thandle_errors 404 410 5xx {\n\t\trespond err\n\t}\n\trespond x\n"),
    "handle_errors_bad_len": site("\thandle_errors 40 {\n\t\trespond err\n\t}\n"),
    "handle_errors_bad_xx": site("\thandle_errors axx {\n\t\trespond err\n\t}\n"),
    "handle_errors_bad_num": site("\thandle_errors 4a4 {\n\t\trespond err\n\t}\n"),
    "invoke_args": site("\tinvoke a b\n"),
    "invoke_none": site("\tinvoke\n"),
    # log / log_skip / log_name
    "log_named_block": site("\tlog access {\n\t\toutput stdout\n\t\tformat console\n\t\tlevel INFO\n\t}\n\trespond x\n",
                            "a.com"),
    "log_file_writer": site("\tlog {\n\t\toutput file /var/log/a.log {\n\t\t\troll_size 10MiB\n\t\t\troll_keep 3\n"
                            "\t\t\troll_keep_for 48h\n\t\t\troll_uncompressed\n\t\t\troll_local_time\n"
                            "\t\t\tmode 0640\n\t\t}\n\t}\n\trespond x\n", "a.com"),
    "log_hostnames": site("\tlog {\n\t\thostnames x.a.com y.a.com\n\t\toutput stderr\n\t}\n\trespond x\n", "*.a.com"),
    "log_no_hostname": site("\tlog {\n\t\tno_hostname\n\t\toutput discard\n\t}\n\trespond x\n", "a.com"),
    "log_sampling": site("\tlog {\n\t\tsampling {\n\t\t\tinterval 1s\n\t\t\tfirst 5\n\t\t\tthereafter 10\n\t\t}\n"
                         "\t}\n\trespond x\n", "a.com"),
    "log_sampling_twice": site("\tlog {\n\t\tsampling {\n\t\t\tfirst 5\n\t\t\tfirst 6\n\t\t}\n\t}\n"),
    "log_filter_format": site("\tlog {\n\t\tformat filter {\n\t\t\twrap console\n\t\t\tfields {\n"
                              "\t\t\t\trequest>headers>Authorization delete\n\t\t\t\trequest>remote_ip ip_mask 16 32\n"
                              "\t\t\t\tuser_id replace REDACTED\n\t\t\t}\n\t\t\trequest>uri query {\n"
                              "\t\t\t\tdelete secret\n\t\t\t\treplace q x\n\t\t\t}\n\t\t}\n\t}\n\trespond x\n", "a.com"),
    "log_json_encoder_opts": site("\tlog {\n\t\tformat json {\n\t\t\ttime_format iso8601\n\t\t\ttime_local\n"
                                  "\t\t\tmessage_key m\n\t\t}\n\t}\n\trespond x\n", "a.com"),
    "log_output_twice": site("\tlog {\n\t\toutput stdout\n\t\toutput stderr\n\t}\n"),
    "log_include_in_site": site("\tlog {\n\t\tinclude x\n\t}\n"),
    "log_unknown_sub": site("\tlog {\n\t\tnope\n\t}\n"),
    "log_two_names": site("\tlog a b\n"),
    "log_unknown_writer": site("\tlog {\n\t\toutput nosuch\n\t}\n"),
    "log_skip": site("\tlog_skip /health\n\trespond x\n"),
    "skip_log_deprecated": site("\tskip_log /health\n\trespond x\n"),
    "log_skip_args": site("\tlog_skip /h extra\n"),
    "log_skip_block": site("\tlog_skip {\n\t\tx\n\t}\n"),
    "log_name": site("\tlog_name a b\n\trespond x\n"),
    # tls
    "tls_email": site("\ttls me@example.com\n\trespond x\n", "a.com"),
    "tls_internal": site("\ttls internal\n\trespond x\n", "a.com"),
    "tls_cert_key": site("\ttls cert.pem key.pem\n\trespond x\n", "a.com"),
    "tls_same_cert_twice": "a.com {\n\ttls cert.pem key.pem\n}\nb.com {\n\ttls cert.pem key.pem\n}\n",
    "tls_bad_single_arg": site("\ttls nope\n", "a.com"),
    "tls_naked": site("\ttls\n", "a.com"),
    "tls_three_args": site("\ttls a b c\n", "a.com"),
    "tls_block": site("\ttls {\n\t\tprotocols tls1.2 tls1.3\n\t\tciphers TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                      "\t\tcurves x25519 secp256r1\n\t\talpn h2 http/1.1\n\t\tkey_type p256\n"
                      "\t\tinsecure_secrets_log /tmp/keys\n\t}\n\trespond x\n", "a.com"),
    "tls_bad_protocol": site("\ttls {\n\t\tprotocols tls1.1\n\t}\n", "a.com"),
    "tls_bad_cipher": site("\ttls {\n\t\tciphers NOPE\n\t}\n", "a.com"),
    "tls_bad_curve": site("\ttls {\n\t\tcurves p999\n\t}\n", "a.com"),
    "tls_ca_eab": site("\ttls {\n\t\tca https://ca.example/dir\n\t\teab kid mac\n\t\tca_root /root.pem\n\t}\n", "a.com"),
    "tls_on_demand": site("\ttls {\n\t\ton_demand\n\t\treuse_private_keys\n\t}\n\trespond x\n", "a.com"),
    "tls_load": site("\ttls {\n\t\tload /certs /more\n\t}\n", "a.com"),
    "tls_issuer_acme": site("\ttls {\n\t\tissuer acme https://ca.example {\n\t\t\temail a@b.c\n"
                            "\t\t\tdisable_http_challenge\n\t\t\talt_tlsalpn_port 8443\n\t\t\ttimeout 30s\n\t\t}\n\t}\n",
                            "a.com"),
    "tls_issuer_internal": site("\ttls {\n\t\tissuer internal {\n\t\t\tlifetime 1d\n\t\t\tsign_with_root\n\t\t}\n\t}\n",
                                "a.com"),
    "tls_issuer_zerossl": site("\ttls {\n\t\tissuer zerossl KEY {\n\t\t\talt_http_port 8080\n\t\t}\n\t}\n", "a.com"),
    "tls_issuer_mixed": site("\ttls {\n\t\tissuer internal\n\t\tca https://x\n\t}\n", "a.com"),
    "tls_internal_and_acme": site("\ttls internal {\n\t\tca https://x\n\t}\n", "a.com"),
    "tls_dns_opts_without_provider": site("\ttls {\n\t\tresolvers 1.1.1.1\n\t}\n", "a.com"),
    "tls_dns_naked": site("\ttls {\n\t\tdns\n\t}\n", "a.com"),
    "tls_unknown_dns_provider": site("\ttls {\n\t\tdns nosuch token\n\t}\n", "a.com"),
    "tls_client_auth": site("\ttls {\n\t\tclient_auth {\n\t\t\tmode require_and_verify\n"
                            "\t\t\ttrust_pool file /ca.pem\n\t\t}\n\t}\n\trespond x\n", "a.com"),
    "tls_client_auth_inline": site("\ttls {\n\t\tclient_auth {\n\t\t\ttrust_pool inline {\n\t\t\t\ttrust_der AAAA\n"
                                   "\t\t\t}\n\t\t\ttrusted_leaf_cert BBBB\n\t\t}\n\t}\n", "a.com"),
    "tls_client_auth_deprecated": site("\ttls {\n\t\tclient_auth {\n\t\t\ttrusted_ca_cert CCCC\n\t\t}\n\t}\n",
                                       "a.com"),
    "tls_client_auth_both": site("\ttls {\n\t\tclient_auth {\n\t\t\ttrusted_ca_cert CCCC\n"
                                 "\t\t\ttrust_pool file /x.pem\n\t\t}\n\t}\n", "a.com"),
    "tls_renewal_ratio": site("\ttls {\n\t\trenewal_window_ratio 0.5\n\t}\n", "a.com"),
    "tls_renewal_ratio_bad": site("\ttls {\n\t\trenewal_window_ratio 1.5\n\t}\n", "a.com"),
    "tls_get_certificate": site("\ttls {\n\t\tget_certificate http https://certs.local/get\n\t}\n", "a.com"),
    "tls_force_automate": site("\ttls force_automate\n\trespond x\n", "a.com, *.a.com"),
    "tls_unknown_sub": site("\ttls {\n\t\tnope\n\t}\n", "a.com"),
    "respond_heredoc": site("\trespond <<HTML\n\t\t<p>hi & bye</p>\n\t\tHTML 200\n"),
    "root_star_matcher": site("\troot * /srv\n\troot * /other\n\trespond x\n"),
    "handle_errors_in_route": site("\troute {\n\t\thandle_errors {\n\t\t\trespond e\n\t\t}\n\t}\n"),
    "handle_errors_in_handle": site("\thandle {\n\t\thandle_errors {\n\t\t\trespond e\n\t\t}\n\t}\n"),
    "tls_in_handle": site("\thandle {\n\t\ttls internal\n\t}\n", "a.com"),
    "log_in_route": site("\troute {\n\t\tlog\n\t}\n", "a.com"),
    "log_hostnames_in_route": site("\troute {\n\t\tlog {\n\t\t\thostnames a \"b\\\"c\"\n\t\t\tno_hostname\n"
                                   "\t\t}\n\t}\n", "a.com"),
    "tls_internal_in_route": site("\troute {\n\t\ttls internal\n\t}\n", "a.com"),
    "bind_in_route": site("\troute {\n\t\tbind 1.2.3.4\n\t}\n"),
    "handle_errors_code_in_route": site("\troute {\n\t\thandle_errors 404 {\n\t\t\trespond e\n\t\t}\n\t}\n"),
    "invoke_in_handle": "&(r) {\n\trespond r\n}\n:8080 {\n\thandle /x {\n\t\tinvoke r\n\t}\n}\n",
    "vars_placeholder_key": site("\tvars {\n\t\t{http.request.host} x\n\t\tnum -5\n\t\tflt 1e3\n\t\tstr \"007\"\n\t}\n"),
    "redir_html_quotes": site("\tredir \"/a'b\\\"c\" html\n"),
    "error_placeholder_status": site("\terror boom {http.vars.status}\n"),
    "abort_block": site("\tabort {\n\t}\n"),
    "bind_in_handle": site("\thandle {\n\t\tbind 127.0.0.1\n\t}\n"),
    "tls_bare_port_mixed": "a.com:8443, :8443 {\n\ttls internal\n}\n",
}
