package tensorlib

// Version is gt's version, the counterpart of torch.__version__.
const Version = "0.1.0"

// Backends names the compute backends this build of gt runs on, the one in
// use first: the counterpart of checking torch.cuda.is_available(). gt runs on
// the CPU only; the entry says which matrix-multiply kernels are active:
// "cpu (AVX2+FMA asm)" where the CPU has AVX2 and FMA (amd64), else
// "cpu (pure Go)".
func Backends() []string {
	if hasGEMMAsm {
		return []string{"cpu (AVX2+FMA asm)"}
	}
	return []string{"cpu (pure Go)"}
}
