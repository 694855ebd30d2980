#define G_LOG_DOMAIN "bench-unet"
int main (void) { return 0; }
