package tensorlib

// Version is gt's version, the counterpart of torch.__version__.
const Version = "0.1.0"

// Backends names the compute backends this build of gt runs on, the one in
// use first: the counterpart of checking torch.cuda.is_available(). gt runs on
// the CPU only; the entry says which kernels are active: "cpu (AVX-512
// asm)" where the CPU has AVX-512 (amd64), "cpu (AVX2+FMA asm)" where it
// has AVX2 and FMA, else "cpu (pure Go)".
func Backends() []string {
	switch {
	case sgemmImpl.name == "avx512":
		return []string{"cpu (AVX-512 asm)"}
	case hasGEMMAsm:
		return []string{"cpu (AVX2+FMA asm)"}
	}
	return []string{"cpu (pure Go)"}
}
