/* dispatch.c: fill the kernel table once, dav1d style: the portable C twins
 * first, then upgrades for the SIMD level the CPU has and the cpu mask
 * allows.
 *
 * Adding the AVX2 twins: put them in x86/<op>_avx2.c files (built with -mavx2 -mfma
 * only there), add x86/init_avx2.c defining mn_kernels_upgrade_avx2() that
 * overwrites the table entries it has twins for and sets t->isa = "avx2",
 * and have meson define MN_HAVE_X86_AVX2 for this file.  Nothing else here
 * changes.  The AVX-512 twins (x86/..._avx512.c, MN_HAVE_X86_AVX512) go on
 * top of the AVX2 ones in the same way, and the AMX twin
 * (x86/..._amx.c, MN_HAVE_X86_AMX) on top of those. */
#include "kernels.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define MN_X86 1
#endif
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

#ifdef MN_HAVE_X86_AVX2
void mn_kernels_upgrade_avx2 (mn_kernel_table *t);
#endif
#ifdef MN_HAVE_X86_AVX512
void mn_kernels_upgrade_avx512 (mn_kernel_table *t);
#endif
#ifdef MN_HAVE_X86_AMX
void mn_kernels_upgrade_amx (mn_kernel_table *t);
#endif

void
mn_kernels_init_c (mn_kernel_table *t)
{
  t->f32_gemm = mn_f32_gemm_c;
  t->f32_gemm_sliced = NULL;   /* no faster than f32_gemm without AMX */
  t->f32_gemm_sparse = NULL;   /* the C twin would be f32_gemm */
  t->f32_conv = mn_f32_conv_c;
  t->f32_dwconv = mn_f32_dwconv_c;
  t->q8_gemm = mn_q8_gemm_c;
  t->q8_gemm4 = NULL;
  t->q8_gemv = mn_q8_gemv_c;
  t->q8_conv = mn_q8_conv_c;
  t->q8_dwconv = mn_q8_dwconv_c;
  t->q8_dwconv_make_blocks = NULL;   /* the C twin reads the packed panels */
  t->q8_dwconv_blocks = NULL;
  t->q8_add = mn_q8_add;
  t->f32_from_u8 = mn_f32_from_u8;
  t->q8_requant_prepare = NULL;   /* the C twins have no per-call scan */
  t->isa = "c";
}

#ifdef MN_X86
/* AVX2 and FMA in the CPU, and YMM state enabled by the OS (XCR0). */
static bool
cpu_has_avx2_fma (void)
{
  unsigned eax, ebx, ecx, edx;
  unsigned xcr0_lo, xcr0_hi;

  if (!__get_cpuid (1, &eax, &ebx, &ecx, &edx))
    return false;
  if (!(ecx & (1u << 27)) || !(ecx & (1u << 28)) || !(ecx & (1u << 12)))
    return false;               /* OSXSAVE, AVX, FMA */
  __asm__ volatile ("xgetbv" : "=a" (xcr0_lo), "=d" (xcr0_hi) : "c" (0));
  (void) xcr0_hi;
  if ((xcr0_lo & 0x6) != 0x6)
    return false;               /* XMM and YMM state */
  if (__get_cpuid_max (0, NULL) < 7)
    return false;
  __cpuid_count (7, 0, eax, ebx, ecx, edx);
  return (ebx & (1u << 5)) != 0; /* AVX2 */
}

/* AVX-512 F, DQ, BW, VL and VNNI in the CPU, and opmask and ZMM state
 * enabled by the OS; called after cpu_has_avx2_fma (). */
static bool
cpu_has_avx512_vnni (void)
{
  unsigned eax, ebx, ecx, edx;
  unsigned xcr0_lo, xcr0_hi;

  __asm__ volatile ("xgetbv" : "=a" (xcr0_lo), "=d" (xcr0_hi) : "c" (0));
  (void) xcr0_hi;
  if ((xcr0_lo & 0xe6) != 0xe6)
    return false;               /* XMM, YMM, opmask, ZMM 0-15 high halves, ZMM 16-31 */
  __cpuid_count (7, 0, eax, ebx, ecx, edx);
  const unsigned f_dq_bw_vl = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
  return (ebx & f_dq_bw_vl) == f_dq_bw_vl && (ecx & (1u << 11)) != 0;
}

/* AMX-TILE and AMX-INT8 in the CPU, their state enabled by the OS (XCR0
 * bits 17 and 18), and on Linux this process's permission to use the
 * tile data (arch_prctl ARCH_REQ_XCOMP_PERM, granted once for the process
 * and its threads; without it the first tile instruction faults). */
static bool
cpu_has_amx_int8 (void)
{
  unsigned eax, ebx, ecx, edx;
  unsigned xcr0_lo, xcr0_hi;

  __cpuid_count (7, 0, eax, ebx, ecx, edx);
  if (!(edx & (1u << 24)) || !(edx & (1u << 25)))
    return false;               /* AMX-TILE, AMX-INT8 */
  __asm__ volatile ("xgetbv" : "=a" (xcr0_lo), "=d" (xcr0_hi) : "c" (0));
  (void) xcr0_hi;
  if ((xcr0_lo & 0x60000) != 0x60000)
    return false;               /* XTILECFG, XTILEDATA */
#ifdef __linux__
  const long arch_req_xcomp_perm = 0x1023, xfeature_xtiledata = 18;
  return syscall (SYS_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) == 0;
#else
  return false;
#endif
}

/* AVX-512 VBMI, which the AMX level is built with (the sliced float
 * GEMM's byte permutes; every AMX CPU so far has it). */
static bool
cpu_has_avx512_vbmi (void)
{
  unsigned eax, ebx, ecx, edx;
  __cpuid_count (7, 0, eax, ebx, ecx, edx);
  return (ecx & (1u << 1)) != 0;
}
#endif

static bool
force_c (void)
{
  const char *v = getenv ("MOBILENET_FORCE_C");
  return v && *v && strcmp (v, "0") != 0;
}

void
mn_kernels_init (mn_kernel_table *t, unsigned cpu_mask)
{
  mn_kernels_init_c (t);
  if (force_c ())
    return;

#ifdef MN_X86
  if ((cpu_mask & MN_KERNEL_CPU_AVX2) && cpu_has_avx2_fma ()) {
#ifdef MN_HAVE_X86_AVX2
    mn_kernels_upgrade_avx2 (t);
#endif
#ifdef MN_HAVE_X86_AVX512
    if ((cpu_mask & MN_KERNEL_CPU_AVX512) && cpu_has_avx512_vnni ()) {
      mn_kernels_upgrade_avx512 (t);
#ifdef MN_HAVE_X86_AMX
      if ((cpu_mask & MN_KERNEL_CPU_AMX) && cpu_has_avx512_vbmi () && cpu_has_amx_int8 ())
        mn_kernels_upgrade_amx (t);
#endif
    }
#endif
  }
#else
  (void) cpu_mask;
#endif
}
