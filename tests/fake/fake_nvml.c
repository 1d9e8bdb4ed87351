/* fake_nvml.c: a stand-in libnvidia-ml.so.1 whose driver version comes from FAKE_NVML_VERSION. */
#include <stdio.h>
#include <stdlib.h>

int nvmlInit_v2(void);
int nvmlInit_v2(void)
{
    return getenv("FAKE_NVML_FAIL") ? 999 : 0;
}

int nvmlSystemGetDriverVersion(char *buf, unsigned int len);
int nvmlSystemGetDriverVersion(char *buf, unsigned int len)
{
    const char *v = getenv("FAKE_NVML_VERSION");
    snprintf(buf, len, "%s", v ? v : "580.159.04");
    return 0;
}

int nvmlShutdown(void);
int nvmlShutdown(void)
{
    return 0;
}
