package org.taylormlp.tensor;

import jdk.incubator.vector.*;
import java.lang.foreign.*;
import java.nio.ByteOrder;
/**
 * A probe, not a product kernel: Q8_0 matrix-vector products three ways, in one JVM, interleaved: the float form
 * the engine used before {@link ActivationRounding} (int8 widened to float lanes, FMA with float x), and two integer
 * forms with x rounded to int8 per block of 32: products in 16-bit lanes (two per lane), folded into 32-bit lanes
 * either by widening conversions ({@code int16}) or by two shifts and an add on the 32-bit view ({@code shifts}, the
 * form {@code VectorKernels.rowsQ8x} took), then one float scale per block. 256-bit vectors only. Prints GMAC/s (best of 300) and the difference the activation
 * rounding makes to row 0.
 *
 * <p>Run: {@code mvn -q -Pjmh test-compile exec:exec -Djmh.main=org.taylormlp.tensor.Int8ActivationProbe
 * -Djmh.args="768 288"} (rows, cols).
 */
public final class Int8ActivationProbe {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
  static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64, B128 = ByteVector.SPECIES_128;
  static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
  static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
  static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
  static float sum(FloatVector v){ return v.reduceLanes(VectorOperators.ADD); }
  // current float path (2 rows)
  static void rowsF(MemorySegment m, long rb, float[] x, int n, float[] out, int r0, int r1) {
    int half=(r1-r0)>>1; long far=half*rb;
    for (int r=r0, stop=r0+half; r<stop; r++) {
      long b0=r*rb, b1=b0+far; FloatVector a0=FloatVector.zero(F), a1=a0, c0=a0, c1=a0;
      for (int i=0;i<n;i+=32,b0+=34,b1+=34) {
        FloatVector xv=FloatVector.fromArray(F,x,i);
        ByteVector p=ByteVector.fromMemorySegment(B64,m,b0+2,LE), e=ByteVector.fromMemorySegment(B64,m,b1+2,LE);
        FloatVector s=((FloatVector)p.convertShape(VectorOperators.B2F,F,0)).mul(xv), u=((FloatVector)e.convertShape(VectorOperators.B2F,F,0)).mul(xv);
        for (int q=8;q<32;q+=8){ xv=FloatVector.fromArray(F,x,i+q); p=ByteVector.fromMemorySegment(B64,m,b0+2+q,LE); e=ByteVector.fromMemorySegment(B64,m,b1+2+q,LE);
          s=((FloatVector)p.convertShape(VectorOperators.B2F,F,0)).fma(xv,s); u=((FloatVector)e.convertShape(VectorOperators.B2F,F,0)).fma(xv,u);}
        FloatVector t=s.fma(FloatVector.broadcast(F,Float.float16ToFloat(m.get(H,b0))),a0), t2=u.fma(FloatVector.broadcast(F,Float.float16ToFloat(m.get(H,b1))),c0);
        a0=a1;a1=t;c0=c1;c1=t2;
      }
      out[r]=sum(a0.add(a1)); out[r+half]=sum(c0.add(c1));
    }
  }
  // int16 path (2 rows), x pre-quantized to xq (shorts, |.|<=127) with per-block scale xd
  static void rowsI(MemorySegment m, long rb, short[] xq, float[] xd, int n, float[] out, int r0, int r1) {
    int half=(r1-r0)>>1; long far=half*rb;
    for (int r=r0, stop=r0+half; r<stop; r++) {
      long b0=r*rb, b1=b0+far; FloatVector a0=FloatVector.zero(F), a1=a0, c0=a0, c1=a0;
      for (int i=0, blk=0;i<n;i+=32,b0+=34,b1+=34,blk++) {
        ShortVector xa=ShortVector.fromArray(S,xq,i), xb=ShortVector.fromArray(S,xq,i+16);
        ShortVector wa=(ShortVector)ByteVector.fromMemorySegment(B128,m,b0+2,LE).convertShape(VectorOperators.B2S,S,0);
        ShortVector wb=(ShortVector)ByteVector.fromMemorySegment(B128,m,b0+18,LE).convertShape(VectorOperators.B2S,S,0);
        ShortVector va=(ShortVector)ByteVector.fromMemorySegment(B128,m,b1+2,LE).convertShape(VectorOperators.B2S,S,0);
        ShortVector vb=(ShortVector)ByteVector.fromMemorySegment(B128,m,b1+18,LE).convertShape(VectorOperators.B2S,S,0);
        ShortVector p=wa.mul(xa).add(wb.mul(xb)), e=va.mul(xa).add(vb.mul(xb));
        IntVector pi=((IntVector)p.convertShape(VectorOperators.S2I,I,0)).add((IntVector)p.convertShape(VectorOperators.S2I,I,1));
        IntVector ei=((IntVector)e.convertShape(VectorOperators.S2I,I,0)).add((IntVector)e.convertShape(VectorOperators.S2I,I,1));
        float dx=xd[blk];
        FloatVector t=((FloatVector)pi.convertShape(VectorOperators.I2F,F,0)).fma(FloatVector.broadcast(F,Float.float16ToFloat(m.get(H,b0))*dx),a0);
        FloatVector t2=((FloatVector)ei.convertShape(VectorOperators.I2F,F,0)).fma(FloatVector.broadcast(F,Float.float16ToFloat(m.get(H,b1))*dx),c0);
        a0=a1;a1=t;c0=c1;c1=t2;
      }
      out[r]=sum(a0.add(a1)); out[r+half]=sum(c0.add(c1));
    }
  }
  // reinterpret variant: pairwise add via shifts
  static void rowsJ(MemorySegment m, long rb, short[] xq, float[] xd, int n, float[] out, int r0, int r1) {
    int half=(r1-r0)>>1; long far=half*rb;
    for (int r=r0, stop=r0+half; r<stop; r++) {
      long b0=r*rb, b1=b0+far; FloatVector a0=FloatVector.zero(F), a1=a0, c0=a0, c1=a0;
      for (int i=0, blk=0;i<n;i+=32,b0+=34,b1+=34,blk++) {
        ShortVector xa=ShortVector.fromArray(S,xq,i), xb=ShortVector.fromArray(S,xq,i+16);
        ShortVector wa=(ShortVector)ByteVector.fromMemorySegment(B128,m,b0+2,LE).convertShape(VectorOperators.B2S,S,0);
        ShortVector wb=(ShortVector)ByteVector.fromMemorySegment(B128,m,b0+18,LE).convertShape(VectorOperators.B2S,S,0);
        ShortVector va=(ShortVector)ByteVector.fromMemorySegment(B128,m,b1+2,LE).convertShape(VectorOperators.B2S,S,0);
        ShortVector vb=(ShortVector)ByteVector.fromMemorySegment(B128,m,b1+18,LE).convertShape(VectorOperators.B2S,S,0);
        IntVector p=wa.mul(xa).add(wb.mul(xb)).reinterpretAsInts(), e=va.mul(xa).add(vb.mul(xb)).reinterpretAsInts();
        IntVector pi=p.lanewise(VectorOperators.ASHR,16).add(p.lanewise(VectorOperators.LSHL,16).lanewise(VectorOperators.ASHR,16));
        IntVector ei=e.lanewise(VectorOperators.ASHR,16).add(e.lanewise(VectorOperators.LSHL,16).lanewise(VectorOperators.ASHR,16));
        float dx=xd[blk];
        FloatVector t=((FloatVector)pi.convertShape(VectorOperators.I2F,F,0)).fma(FloatVector.broadcast(F,Float.float16ToFloat(m.get(H,b0))*dx),a0);
        FloatVector t2=((FloatVector)ei.convertShape(VectorOperators.I2F,F,0)).fma(FloatVector.broadcast(F,Float.float16ToFloat(m.get(H,b1))*dx),c0);
        a0=a1;a1=t;c0=c1;c1=t2;
      }
      out[r]=sum(a0.add(a1)); out[r+half]=sum(c0.add(c1));
    }
  }
  public static void main(String[] a) {
    int rows=Integer.parseInt(a[0]), n=Integer.parseInt(a[1]); java.util.Random rnd=new java.util.Random(1);
    long rb=n/32*34L; MemorySegment m=Arena.ofShared().allocate(rb*rows,64);
    for (long j=0;j<rb*rows;j++) m.set(ValueLayout.JAVA_BYTE,j,(byte)(rnd.nextInt(255)-127));
    for (long j=0;j<rb*rows;j+=34) m.set(H,j,Float.floatToFloat16(0.01f));
    float[] x=new float[n]; for(int i=0;i<n;i++) x[i]=(float)rnd.nextGaussian();
    short[] xq=new short[n]; float[] xd=new float[n/32];
    for (int b=0;b<n/32;b++){ float amax=0; for(int i=0;i<32;i++) amax=Math.max(amax,Math.abs(x[b*32+i])); float d=amax/127; xd[b]=d; for(int i=0;i<32;i++) xq[b*32+i]=(short)Math.round(d==0?0:x[b*32+i]/d); }
    float[] o1=new float[rows], o2=new float[rows], o3=new float[rows];
    for (int round=0; round<4; round++) {
      double bf=1e30, bi=1e30, bj=1e30;
      for (int rep=0;rep<300;rep++){
        long t0=System.nanoTime(); rowsF(m,rb,x,n,o1,0,rows); long t1=System.nanoTime(); rowsI(m,rb,xq,xd,n,o2,0,rows); long t2=System.nanoTime(); rowsJ(m,rb,xq,xd,n,o3,0,rows); long t3=System.nanoTime();
        bf=Math.min(bf,t1-t0); bi=Math.min(bi,t2-t1); bj=Math.min(bj,t3-t2);
      }
      double mac=(double)rows*n;
      System.out.printf("float %.2f  int16 %.2f  shifts %.2f GMAC/s   diff %.3g %.3g (row0 %.4f)%n", mac/bf, mac/bi, mac/bj, Math.abs(o1[0]-o2[0]), Math.abs(o2[0]-o3[0]), o1[0]);
    }
  }
}
