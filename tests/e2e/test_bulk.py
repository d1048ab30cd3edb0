"""64 MiB through one connection, byte for byte, then half-close and EOF.

The client sends and reads at once (the echo of 64 MiB cannot sit in socket
buffers), the data never repeats so a lost, doubled or reordered piece
shows, and after its half-close the client must get the last byte, then
EOF.  Once with the default watermarks, once with small ones that make
echod pause and resume reading thousands of times.
"""
from echodtest import Echod, Stream, assert_same, pattern, run

SIZE = 64 << 20
WATERMARKS = [(), ("--high-watermark", "4K", "--low-watermark", "1K")]


def test():
    data = pattern(SIZE, b"bulk")
    for marks in WATERMARKS:
        with Echod("-v", *marks) as d:
            st = Stream(d.connect(), data).start_sending().start_reading()
            st.join()
            assert st.sent == SIZE, st.sent
            assert st.eof, "no EOF after the half-close"
            assert_same(st.received, data, "echo %r" % (marks,))
            st.close()
            d.wait_for(r"closed \(eof\): %d bytes in, %d out"
                       % (SIZE, SIZE))
            assert d.stop() == 0, d.log()


run(test)
