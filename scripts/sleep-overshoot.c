// sleep-overshoot: how late clock_nanosleep wakes a thread on this machine.
// gcc -O2 -o sleep-overshoot scripts/sleep-overshoot.c && ./sleep-overshoot 200 10000000
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <sys/prctl.h>
static long ns(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000L+t.tv_nsec;}
int cmp(const void*a,const void*b){long x=*(long*)a,y=*(long*)b;return x<y?-1:x>y;}
int main(int c,char**v){int n=atoi(v[1]);long d=atol(v[2]);prctl(PR_SET_TIMERSLACK,1);long *o=malloc(n*8);
for(int i=0;i<n;i++){long t0=ns();struct timespec ts={0,d};clock_nanosleep(CLOCK_MONOTONIC,0,&ts,NULL);o[i]=ns()-t0-d;}
qsort(o,n,8,cmp);printf("sleep %ld ns x%d: overshoot p50 %ld p90 %ld p99 %ld max %ld\n",d,n,o[n/2],o[n*9/10],o[n*99/100],o[n-1]);}
