"""The machine's names: the CPU's model from /proc/cpuinfo, with a fallback where it cannot be read."""
import platform

from gans.core.hardware import cpu_model, device_name


def test_the_cpu_model_is_read_from_cpuinfo_and_falls_back_without_it(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B14\nflags\t: fpu avx512f\n")
    assert cpu_model(info) == "AMD EPYC 9B14"
    assert cpu_model(tmp_path / "missing") == (platform.processor() or platform.machine() or "unnamed CPU")


def test_a_cpu_device_is_named_cpu():
    assert device_name("cpu") == "cpu"
