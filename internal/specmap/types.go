package specmap

import "time"

type durationT = time.Duration
