"""Caddyfiles exercising the `log` block's guest modules: writers, encoders and field filters."""


def log(block: str) -> str:
    return "a.com {\n\tlog {\n" + block + "\t}\n\trespond x\n}\n"


LOGGING_CASES: dict[str, str] = {
    "file_roll_opts": log("\t\toutput file /l.log {\n\t\t\troll_disabled\n\t\t\troll_compression zstd\n"
                          "\t\t\troll_interval 1h\n\t\t\troll_minutes 0,30\n\t\t\troll_at 01:00 13:00\n"
                          "\t\t\tbackup_time_format 2006\n\t\t\tdir_mode 0750\n\t\t}\n"),
    "file_mode_short": log("\t\toutput file /l.log {\n\t\t\tmode 644\n\t\t}\n"),
    "file_mode_zero": log("\t\toutput file /l.log {\n\t\t\tmode 0\n\t\t}\n"),
    "file_mode_bad": log("\t\toutput file /l.log {\n\t\t\tmode 9z\n\t\t}\n"),
    "file_dir_mode_inherit": log("\t\toutput file /l.log {\n\t\t\tdir_mode inherit\n\t\t}\n"),
    "file_roll_size_bad": log("\t\toutput file /l.log {\n\t\t\troll_size huge\n\t\t}\n"),
    "file_roll_compression_bad": log("\t\toutput file /l.log {\n\t\t\troll_compression lz4\n\t\t}\n"),
    "file_roll_minutes_empty": log("\t\toutput file /l.log {\n\t\t\troll_minutes 1,,2\n\t\t}\n"),
    "file_roll_keep_for_negative": log("\t\toutput file /l.log {\n\t\t\troll_keep_for -36h\n\t\t}\n"),
    "file_roll_keep_for_days": log("\t\toutput file /l.log {\n\t\t\troll_keep_for 1.5d\n\t\t}\n"),
    "file_roll_keep_bad": log("\t\toutput file /l.log {\n\t\t\troll_keep x\n\t\t}\n"),
    "file_unknown_sub": log("\t\toutput file /l.log {\n\t\t\tnope\n\t\t}\n"),
    "file_no_name": log("\t\toutput file\n"),
    "net_writer": log("\t\toutput net localhost:9999 {\n\t\t\tdial_timeout 5s\n\t\t\tsoft_start\n\t\t}\n"),
    "console_extra_arg": log("\t\tformat console x\n"),
    "encoder_unknown_sub": log("\t\tformat json {\n\t\t\tnope x\n\t\t}\n"),
    "encoder_unknown_module": log("\t\tformat nosuch\n"),
    "filter_regexp_multi": log("\t\tformat filter {\n\t\t\trequest>uri regexp a b\n\t\t\trequest>uri regexp c d\n"
                               "\t\t\trequest>host rename h\n\t\t\tresp hash\n\t\t}\n"),
    "filter_regexp_then_other": log("\t\tformat filter {\n\t\t\tf regexp a b\n\t\t\tf delete\n\t\t}\n"),
    "filter_two_non_regexp": log("\t\tformat filter {\n\t\t\tf delete\n\t\t\tf hash\n\t\t}\n"),
    "filter_cookie": log("\t\tformat filter {\n\t\t\trequest>headers>Cookie cookie {\n\t\t\t\treplace session X\n"
                         "\t\t\t\thash id\n\t\t\t\tdelete tmp\n\t\t\t}\n\t\t}\n"),
    "filter_ip_mask_block": log("\t\tformat filter {\n\t\t\tip ip_mask {\n\t\t\t\tipv4 24\n\t\t\t\tipv6 64\n"
                                "\t\t\t}\n\t\t}\n"),
    "filter_ip_mask_bad": log("\t\tformat filter {\n\t\t\tip ip_mask x\n\t\t}\n"),
    "filter_unknown": log("\t\tformat filter {\n\t\t\tf nosuch\n\t\t}\n"),
    "append_encoder": log("\t\tformat append {\n\t\t\twrap json\n\t\t\tfields {\n\t\t\t\tenv prod\n\t\t\t\tn 5\n"
                          "\t\t\t}\n\t\t\tflag true\n\t\t}\n"),
    "journald_wrap": log("\t\tformat journald {\n\t\t\twrap console\n\t\t}\n"),
    "level_extra": log("\t\tlevel INFO x\n"),
    "core_mock": log("\t\tcore mock\n"),
    "core_twice": log("\t\tcore mock\n\t\tcore mock\n"),
    "core_unknown": log("\t\tcore nosuch\n"),
    "sampling_bad_interval": log("\t\tsampling {\n\t\t\tinterval x\n\t\t}\n"),
    "sampling_unknown": log("\t\tsampling {\n\t\t\tnope 1\n\t\t}\n"),
    "two_logs_counter": "a.com {\n\tlog {\n\t\toutput stdout\n\t}\n}\nb.com {\n\tlog {\n\t\toutput stderr\n\t}\n}\n",
    "named_log_and_log_name": "a.com {\n\tlog mylog {\n\t\toutput stdout\n\t}\n\tlog_name mylog\n\trespond x\n}\n",
}
