"""pi.py: estimates pi with PySpark, the README's tour example.

    run/bin/bpg upload examples/pi.py --folder $BPG_USER/examples
    run/bin/bpg submit --main-file s3a://bpg/uploaded/demo/examples/pi.py --wait
"""
import random

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("pi").getOrCreate()
n = 100000


def inside(_):
    x, y = random.random(), random.random()
    return x * x + y * y <= 1


count = spark.sparkContext.parallelize(range(n), 2).filter(inside).count()
print("pi is roughly %f" % (4.0 * count / n))
spark.stop()
